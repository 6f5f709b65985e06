"""Documents to PDF with Typst and an embedded CJK font.

One Typst compiler is kept per layout, and each document's content is passed as
``sys_inputs`` (JSON strings, never markup): ~10 ms a contract instead of ~100 ms for a fresh
compile (DESIGN.md). The compilers are not thread-safe, so they are used under a lock.

Many documents at once (a batch chunk) are laid out in ONE compilation (documents.typ) and
split into one PDF per document (split.py): the compilation's fixed cost is paid once per
group (the split then costs about as much again; docs/benchmarks.md has the measured CPU
beside one compilation per document), and each PDF keeps its own pages, page numbers, metadata, tagged structure and
font subset (docs/decisions/0006-batch-rendering.md). Both paths lay out with layout.typ.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf
import typst

from accord.contracts import split
from accord.contracts.clauses import fill

log = logging.getLogger(__name__)
TYPST = Path(__file__).parent / "typst"
LAYOUT = TYPST / "document.typ"
MANY = TYPST / "documents.typ"
FONT_DIRS = ["/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts"]
_lock = threading.Lock()
# Typst writes the page tree as ``/Type/Pages/Count N``: our own output, read without parsing.
_PAGE_COUNT = re.compile(rb"/Type\s*/Pages\s*/Count\s+(\d+)")


@cache
def _compiler(layout: Path = LAYOUT) -> typst.Compiler:
    return typst.Compiler(str(layout), font_paths=[d for d in FONT_DIRS if Path(d).is_dir()])


@dataclass(frozen=True)
class Source:
    """What one document is made of: a template's title and sections, filled with values."""

    title: str
    sections: list[dict]
    values: dict[str, str]
    number: str = ""
    footer: str = ""

    def content(self) -> dict[str, Any]:
        return {
            "title": fill(self.title, self.values),
            "number": self.number,
            "footer": self.footer,
            "sections": [
                {
                    "heading": fill(s.get("heading", ""), self.values),
                    "text": fill(s["text"], self.values),
                }
                for s in self.sections
            ],
        }


def render_pdf(
    title: str, sections: list[dict], values: dict[str, str], *, number: str = "", footer: str = ""
) -> bytes:
    content = Source(title, sections, values, number, footer).content()
    with _lock:
        return _compiler().compile(sys_inputs={"data": json.dumps(content, ensure_ascii=False)})


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int  # 0 when Typst's output does not say (the count is a display aid only)
    # Per-document facts a layout placed under a label (metadata with a ``page``), pages
    # counted from the document's first: {label: [value, …]} — see layout.typ.
    found: dict[str, list[Any]] = field(default_factory=dict)


def render_document(
    title: str, sections: list[dict], values: dict[str, str], *, number: str = "", footer: str = ""
) -> Rendered:
    """``render_pdf`` with the page count, taken from the PDF just made rather than by parsing
    it again (pyHanko reading it back cost a quarter as much again as the rendering)."""
    pdf = render_pdf(title, sections, values, number=number, footer=footer)
    return Rendered(pdf, page_count(pdf))


def render_documents(sources: list[Source], *, labels: tuple[str, ...] = ()) -> list[Rendered]:
    """Each source's PDF, from one Typst compilation of them all, split into documents.

    ``labels`` names metadata a layout places with a ``page`` (layout.typ): each document gets
    the values on its own pages. Where the splitter meets something it cannot divide, the
    documents are rendered one by one instead (the same PDFs, at the cost of one compilation
    each)."""
    if not sources:
        return []
    data = json.dumps({"documents": [s.content() for s in sources]}, ensure_ascii=False)
    with _lock:
        compiler = _compiler(MANY)
        pdf = compiler.compile(sys_inputs={"data": data})
        # The layout is memoised from the compilation just made: a query costs ~1 ms.
        markers = json.loads(compiler.query("<accord-document>", field="value"))
        found = {label: json.loads(compiler.query(f"<{label}>", field="value")) for label in labels}
    starts = {m["index"]: m["page"] for m in markers if m["edge"] == "start"}
    ends = {m["index"]: m["page"] for m in markers if m["edge"] == "end"}
    parts = [
        split.Part(first=starts[i] - 1, last=ends[i] - 1, title=s.content()["title"])
        for i, s in enumerate(sources)
    ]
    try:
        pdfs = split.split(pdf, parts)
    except (split.NotSplittable, pikepdf.PdfError) as exc:
        log.warning("%d documents rendered one by one: the split refused (%s)", len(sources), exc)
        return [
            render_document(s.title, s.sections, s.values, number=s.number, footer=s.footer)
            for s in sources
        ]
    return [
        Rendered(
            pdf,
            part.last - part.first + 1,
            {
                label: [
                    {**v, "page": v["page"] - part.first}
                    for v in values
                    if part.first < v["page"] <= part.last + 1
                ]
                for label, values in found.items()
            },
        )
        for pdf, part in zip(pdfs, parts, strict=True)
    ]


def page_count(pdf: bytes) -> int:
    found = _PAGE_COUNT.search(pdf, 0, 4096) or _PAGE_COUNT.search(pdf)
    return int(found.group(1)) if found else 0
