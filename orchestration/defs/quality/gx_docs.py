"""Data Docs views that compile GX's page templates once per process, not once per check.

GX builds a new jinja `Environment` for every view of every `SiteBuilder`, and each check opens
its own context, so every check compiled the same ~35 templates again: 0.8 s of a check's ~1.2 s
(cProfile of 12 checks of the tests' warehouse: 9.5 s of jinja parsing and compiling). A jinja
bytecode cache shared by the process keeps the compiled code; jinja still reads each template's
source and compares its checksum, so an upgraded GX recompiles. The checks run in the run's
process (`in_process_executor`), so one cache serves the whole run.

Named by module and class in the Data Docs site of `gx_checks._project_config`; imported by GX
when it builds a site, never by the code location itself (importing GX takes seconds).
"""

from __future__ import annotations

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


class PageView(DefaultJinjaPageView):
    """GX's page view (validation results, expectation suites) on the shared compiled templates."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = TEMPLATES


class IndexPageView(DefaultJinjaIndexPageView):
    """GX's index page view on the shared compiled templates."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = TEMPLATES
