"""Guards the guard: axe-core, as the accessibility tests run it, does report known faults."""

import pytest

from tests.e2e.test_accessibility import axe_violations

pytestmark = pytest.mark.e2e  # no database: a static page, so no flush after it

BROKEN = """<!doctype html><html><head><title>broken</title></head><body><main>
<h1>表单</h1><input name="q"><p style="color:#ccc">浅色文字</p><a href="/x"></a></main></body></html>"""


def test_the_checker_finds_violations_on_a_broken_page(browser):
    page = browser.new_page()
    try:
        page.set_content(BROKEN)
        found = {v["id"] for v in axe_violations(page)}
    finally:
        page.close()
    assert {"html-has-lang", "label", "color-contrast", "link-name"} <= found
