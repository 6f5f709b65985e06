"""Documents to PDF with Typst and an embedded CJK font, and the same content as reflowing text.

One Typst compiler is kept for the layout, and each document's content is passed as
``sys_inputs`` (JSON strings, never markup): ~10 ms a contract instead of ~100 ms for a fresh
compile (DESIGN.md). The compiler is not thread-safe, so it is used under a lock.

``content`` is the one place where a template and its values become a document's words: the PDF
(``render_document``) and the text a worker reads on a phone (``document_text``) both come from
it, so they cannot say different things. The layout marks where each party's seal or signature
goes (``<accord-mark>`` metadata): the PDF carries those places as a small attachment, which
the signing layer reads (``signing.pdf.placed_boxes``) so that a seal sits at the 甲方 line and
a signature at the 乙方 line of that very document; ``render_document`` also returns them
(``typst query``), each naming its document's number, for callers that lay out many documents.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import segno
import typst
from django.conf import settings

from accord.contracts.clauses import BLANK, fill, fill_paragraphs
from accord.signing import pki

LAYOUT = Path(__file__).parent / "typst" / "document.typ"
MARK_LABEL = "<accord-mark>"
_lock = threading.Lock()
# Typst writes the page tree as ``/Type/Pages/Count N``: our own output, read without parsing.
_PAGE_COUNT = re.compile(rb"/Type\s*/Pages\s*/Count\s+(\d+)")


@cache
def _compiler() -> typst.Compiler:
    return typst.Compiler(str(LAYOUT), font_paths=[str(d) for d in settings.ACCORD_FONT_DIRS])


def verify_url(number: str) -> str:
    """Where a document's QR code leads: the public check of that document."""
    return f"{pki.base_url()}/verify?number={number}"


def _qr_svg(url: str) -> str:
    # A fixed mask: choosing the best of eight costs ~17 ms a document (more than the Typst
    # compile itself), and any mask reads (tests decode the code from every rendered page).
    return segno.make(url, error="m", mask=2).svg_inline(scale=4, border=1, omitsize=False)


def _filled(text: str, values: dict[str, str], blanks: bool) -> str:
    return fill(text, values) if blanks else _line(text, values)


def _line(text: str, values: dict[str, str]) -> str:
    # A one-line item (a title, a party's name): its own placeholders filled, a blank if none.
    return "".join(fill_paragraphs(text, values)) or (BLANK if "{{" in text else text)


def content(
    title: str,
    sections: list[dict],
    values: dict[str, str],
    *,
    number: str = "",
    footer: str = "",
    blanks: bool = False,
) -> dict:
    """A document's words from its template and values: what both the PDF and the text view show.

    ``blanks``: a template's blank form (HR previewing a version), every placeholder a blank."""
    out_sections = []
    for s in sections:
        section = {
            "heading": _filled(s.get("heading", ""), values, blanks),
            "paragraphs": fill_paragraphs(s.get("text", ""), values, blanks=blanks),
        }
        if s.get("signatures"):
            section["signatures"] = [
                {
                    "party": line["party"],
                    "label": _filled(line.get("label", ""), values, blanks),
                    "name": _filled(line.get("name", ""), values, blanks),
                    "date": _filled(line.get("date", ""), values, blanks),
                }
                for line in s["signatures"]
            ]
        if section["heading"] or section["paragraphs"] or section.get("signatures"):
            out_sections.append(section)
    data = {
        "title": _filled(title, values, blanks),
        "number": number,
        "footer": footer,
        "sections": out_sections,
    }
    if number:
        data["qr_svg"] = _qr_svg(verify_url(number))
        data["verify_hint"] = "用手机扫描二维码，或在福易签“文件验证”页输入编号，即可核验本文件"
    return data


@dataclass(frozen=True)
class Mark:
    """Where a party's seal or signature goes: ``page`` (0-based) and ``box`` in PDF points
    (x1, y1, x2, y2; origin at the page's lower left), as laid out by Typst."""

    party: str
    page: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int  # 0 when Typst's output does not say (the count is a display aid only)
    marks: tuple[Mark, ...] = field(default=())


def marks_from_query(found: list[dict]) -> tuple[Mark, ...]:
    """``<accord-mark>`` metadata (Typst's top-left points) to PDF boxes. Each item names the
    document number it belongs to, so one compilation of many documents can be split."""
    marks = []
    for item in found:
        v = item["value"]
        x, w, h = float(v["x"]), float(v["w"]), float(v["h"])
        top = float(v["page_height"]) - float(v["y"])
        box = (round(x), round(top - h), round(x + w), round(top))
        marks.append(Mark(v["party"], int(v["page"]) - 1, box))
    return tuple(marks)


def render_document(
    title: str,
    sections: list[dict],
    values: dict[str, str],
    *,
    number: str = "",
    footer: str = "",
    blanks: bool = False,
) -> Rendered:
    """The PDF, its page count (taken from the PDF just made rather than by parsing it again)
    and where its marks go (also attached to the PDF for the signing layer)."""
    data = content(title, sections, values, number=number, footer=footer, blanks=blanks)
    with _lock:
        compiler = _compiler()
        pdf = compiler.compile(sys_inputs={"data": json.dumps(data, ensure_ascii=False)})
        # The query runs on the document just compiled (same inputs; Typst's cache answers it).
        marks = marks_from_query(json.loads(compiler.query(MARK_LABEL)))
    return Rendered(pdf, page_count(pdf), marks)


def render_pdf(
    title: str,
    sections: list[dict],
    values: dict[str, str],
    *,
    number: str = "",
    footer: str = "",
    blanks: bool = False,
) -> bytes:
    return render_document(title, sections, values, number=number, footer=footer, blanks=blanks).pdf


@dataclass(frozen=True)
class TextSection:
    heading: str
    paragraphs: list[str]
    signatures: list[dict]


@dataclass(frozen=True)
class DocumentText:
    title: str
    number: str
    sections: list[TextSection]


def document_text(
    title: str, sections: list[dict], values: dict[str, str], *, number: str = ""
) -> DocumentText:
    """The document's words to read on a phone: the same ``content`` the PDF was made from."""
    data = content(title, sections, values)
    return DocumentText(
        data["title"],
        number,
        [
            TextSection(s["heading"], s["paragraphs"], s.get("signatures", []))
            for s in data["sections"]
        ],
    )


def page_count(pdf: bytes) -> int:
    found = _PAGE_COUNT.search(pdf, 0, 4096) or _PAGE_COUNT.search(pdf)
    return int(found.group(1)) if found else 0
