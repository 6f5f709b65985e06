"""Page images of envelope documents, so a worker reads the whole document on a phone.

A phone on a poor connection should not have to fetch a whole PDF (and a PDF viewer) before
reading: each page is rendered once by PDFium (pypdfium2) to a small PNG (anti-aliasing off:
a contract page is ~35 KB instead of ~215 KB, the text stays sharp and legible, the seal red),
cached on disk by (SHA-256 of the document version, page), and fetched by the browser only
when the page scrolls into view (``loading="lazy"``). A signed version has a new digest, so
a cached image never shows an older version than the one being signed.

The worker's handwritten signature may also be typed: the name is rendered to a PNG with
Typst and the embedded CJK font (no JavaScript needed, no Pillow).
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pypdfium2 as pdfium
import typst
from django.conf import settings

from accord.core.errors import NotFound
from accord.envelopes import errors
from accord.envelopes.models import EnvelopeDocument
from accord.signing import providers

PAGE_DPI = 110  # an A4 page is 910 × 1286 px: legible at 375 CSS px, ~2 × on a dense screen
A4_SIZE = (910, 1286)  # reserved on the page before an image loads (no layout shift)
_pdfium_lock = threading.Lock()


def cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "cache" / "envelope-pages"


@dataclass(frozen=True)
class PageRef:
    """Page ``number`` (1-based, counted across the envelope's documents in order)."""

    number: int
    document: EnvelopeDocument
    page: int  # within the document


def page_refs(documents: list[EnvelopeDocument]) -> list[PageRef]:
    """Every page of every document, in reading order; a document of unknown length counts one."""
    refs: list[PageRef] = []
    for doc in documents:
        for page in range(1, max(doc.pages, 1) + 1):
            refs.append(PageRef(len(refs) + 1, doc, page))
    return refs


def page_image(sha256: str, page: int) -> bytes:
    """The PNG of one page of the stored document ``sha256``, rendered once and cached."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256) or page < 1:
        raise NotFound()
    path = cache_dir() / sha256[:2] / f"{sha256}-{page}.png"
    if path.exists():
        return path.read_bytes()
    pdf = providers.load_document(sha256)
    data = _render(pdf, page)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: two readers rendering the same page never see half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return data


def _render(pdf: bytes, page: int) -> bytes:
    """Page ``page`` (1-based) as a PNG, drawn by PDFium (pypdfium2's wheel: no system package)."""
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise errors.PAGE_UNAVAILABLE() from exc
    try:
        if page > len(document):  # past the last page
            raise errors.PAGE_UNAVAILABLE()
        with _pdfium_lock:  # PDFium is not thread-safe
            bitmap = document[page - 1].render(
                scale=PAGE_DPI / 72,
                # Anti-aliased glyph edges are what makes a text page's PNG large.
                no_smoothtext=True,
                no_smoothpath=True,
            )
            image = bitmap.to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        document.close()


# ---- a typed name as a handwritten-signature image --------------------------------------------

TYPED_TEMPLATE = """#set page(width: auto, height: auto, margin: 6pt, fill: none)
#set text(font: ("Noto Serif CJK SC", "Noto Sans CJK SC", "Noto Serif SC"), size: 40pt, fill: rgb("#1a1a5e"))
#sys.inputs.at("name")
"""
_typst_lock = threading.Lock()


@cache
def _typed_compiler():
    root = Path(tempfile.mkdtemp(prefix="accord-typed-"))
    (root / "typed.typ").write_text(TYPED_TEMPLATE, encoding="utf-8")
    return typst.Compiler(
        str(root / "typed.typ"),
        root=str(root),
        font_paths=[str(d) for d in settings.ACCORD_FONT_DIRS],
    )


def typed_signature_png(name: str) -> bytes:
    """The signer's name set in a serif CJK font on a transparent background, as a PNG."""
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise errors.TYPED_NAME_INVALID()
    with _typst_lock:  # a Compiler is not meant to be shared by threads at once
        png = _typed_compiler().compile(format="png", ppi=96, sys_inputs={"name": name})
    assert isinstance(png, bytes)
    return png
