"""Data Docs pieces that keep a check's pages cheap however long the history of results grows.

Section builder. Asked for the pages of a few results, GX's section builder first lists every
key of its store and keeps those named: the validations store's listing parses the path of every
stored result (about 0.4 ms each), so each check paid for every result of every earlier run (a
store holding 30 days of daily builds, 2,520 results: 1.0 s per check; 90 days: 2.5 s). Ours
builds the named pages only, from the keys the store holds; with no names, it builds them all.

Views. GX builds a new jinja `Environment` for every view of every `SiteBuilder`, and each
check opens its own context, so every check compiled the same ~35 templates again: 0.8 s of a
check's ~1.2 s (cProfile of 12 checks of the tests' warehouse: 9.5 s of jinja parsing and
compiling). A jinja bytecode cache shared by the process keeps the compiled code; jinja still
reads each template's source and compares its checksum, so an upgraded GX recompiles. The checks
run in the run's process (`in_process_executor`), so one cache serves the whole run.

Both are named by module and class in the Data Docs site of `gx_checks._project_config`;
imported by GX when it builds a site, never by the code location itself (importing GX takes
seconds).
"""

from __future__ import annotations

from great_expectations.render.renderer.site_builder import DefaultSiteSectionBuilder
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class _ProcessBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory, keyed by template name and checked by source checksum."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # resets itself if the source's checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATES = _ProcessBytecodeCache()


class _SharedTemplates:
    """Mixed into a GX view: its jinja environment uses the process's compiled templates."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = TEMPLATES


class PageView(_SharedTemplates, DefaultJinjaPageView):
    """GX's page view (validation results, expectation suites) on the shared compiled templates."""


class IndexPageView(_SharedTemplates, DefaultJinjaIndexPageView):
    """GX's index page view on the shared compiled templates."""


class SectionBuilder(DefaultSiteSectionBuilder):
    """GX's section builder, building the pages of the named resources without listing its store."""

    def build(self, resource_identifiers=None) -> None:
        if not resource_identifiers:
            super().build(resource_identifiers)  # every page: the whole listing is needed
            return
        store = self.source_store
        # Each key as the listing would give it, read back from its path: the path stores a run
        # name of None as "__none__", which the base class's run name filter reads as text.
        named = [
            store.tuple_to_key(store.key_to_tuple(key))
            for key in resource_identifiers
            if isinstance(key, store.key_class) and store.has_key(key)
        ]
        # The base class reads the keys to build from `list_keys`; for this call, the named ones.
        store.list_keys = lambda: named
        try:
            super().build(resource_identifiers)
        finally:
            del store.list_keys  # the store's own method again
