"""A machine with only Python 3.11, Node 20 and Debian's apt runs Accord (issue #11, item 7).

Chinese text in the PDFs comes from npm's Noto Serif SC when Debian's Noto CJK is absent, and the
phone's page images are drawn by pypdfium2's wheel, not poppler's pdftoppm.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import typst
from django.conf import settings

from accord.core.errors import NotFound
from accord.envelopes import pages

TEMPLATES = [
    Path(settings.BASE_DIR) / "accord" / "contracts" / "typst" / "document.typ",
    Path(settings.BASE_DIR) / "accord" / "envelopes" / "typst" / "evidence.typ",
]
NPM_FONTS = [settings.NPM_CJK_FONT / "400Regular", settings.NPM_CJK_FONT / "700Bold"]


@pytest.mark.parametrize("layout", TEMPLATES, ids=lambda p: p.name)
def test_the_templates_fonts_render_chinese_with_the_npm_font_alone(layout, tmp_path):
    # The font list the template itself declares, compiled with no system font at all.
    fonts = re.search(r"#set text\(font: (\([^)]*\))", layout.read_text()).group(1)
    source = tmp_path / "t.typ"
    source.write_text(
        f"#set text(font: {fonts})\n劳动合同书 *甲方（用人单位）*：深圳福田示范科技有限公司\n"
    )
    pdf = typst.compile(
        str(source), font_paths=[str(d) for d in NPM_FONTS], ignore_system_fonts=True
    )
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+NotoSerifSC-Regular", pdf)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+NotoSerifSC-Bold", pdf)
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "劳动合同书" in text and "深圳福田示范科技有限公司" in text


def test_the_npm_font_is_among_the_font_dirs():
    assert set(NPM_FONTS) <= set(settings.ACCORD_FONT_DIRS)


def test_page_images_need_no_poppler(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pdftoppm, nor any other program
    pdf = typst.compile(b'#set page(paper: "a4")\nA\n#pagebreak()\nB')
    png = pages._render(pdf, 2)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(NotFound) as excinfo:  # past the last page
        pages._render(pdf, 3)
    assert excinfo.value.code == "envelope.page_unavailable"
