"""The Data Docs views share compiled templates: a check's new GX context compiles none again."""

from __future__ import annotations

import pytest
from jinja2 import Environment

from orchestration.defs.quality.gx_docs import IndexPageView, PageView


@pytest.mark.parametrize(
    ("view", "template"), [(PageView, "page.j2"), (IndexPageView, "index_page.j2")]
)
def test_a_new_view_compiles_no_template_an_earlier_view_compiled(view, template, monkeypatch):
    view().env.get_template(template)  # compiled here, or by an earlier test
    compiled = []
    compile_template = Environment.compile

    def counting(self, source, *args, **kwargs):
        compiled.append(args[0] if args else kwargs.get("name"))
        return compile_template(self, source, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counting)
    view().env.get_template(template)
    assert compiled == []
