"""Documents to PDF with Typst and an embedded CJK font.

One Typst compiler is kept for the layout, and each document's content is passed as
``sys_inputs`` (JSON strings, never markup): ~10 ms a contract instead of ~100 ms for a fresh
compile (DESIGN.md). The compiler is not thread-safe, so it is used under a lock.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import typst
from django.conf import settings

from accord.contracts.clauses import fill

LAYOUT = Path(__file__).parent / "typst" / "document.typ"
_lock = threading.Lock()
# Typst writes the page tree as ``/Type/Pages/Count N``: our own output, read without parsing.
_PAGE_COUNT = re.compile(rb"/Type\s*/Pages\s*/Count\s+(\d+)")


@cache
def _compiler() -> typst.Compiler:
    return typst.Compiler(str(LAYOUT), font_paths=[str(d) for d in settings.ACCORD_FONT_DIRS])


def render_pdf(
    title: str, sections: list[dict], values: dict[str, str], *, number: str = "", footer: str = ""
) -> bytes:
    content = {
        "title": fill(title, values),
        "number": number,
        "footer": footer,
        "sections": [
            {"heading": fill(s.get("heading", ""), values), "text": fill(s["text"], values)}
            for s in sections
        ],
    }
    with _lock:
        return _compiler().compile(sys_inputs={"data": json.dumps(content, ensure_ascii=False)})


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int  # 0 when Typst's output does not say (the count is a display aid only)


def render_document(
    title: str, sections: list[dict], values: dict[str, str], *, number: str = "", footer: str = ""
) -> Rendered:
    """``render_pdf`` with the page count, taken from the PDF just made rather than by parsing
    it again (pyHanko reading it back cost a quarter as much again as the rendering)."""
    pdf = render_pdf(title, sections, values, number=number, footer=footer)
    return Rendered(pdf, page_count(pdf))


def page_count(pdf: bytes) -> int:
    found = _PAGE_COUNT.search(pdf, 0, 4096) or _PAGE_COUNT.search(pdf)
    return int(found.group(1)) if found else 0
