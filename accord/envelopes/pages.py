"""Page images of envelope documents, so a worker reads the whole document on a phone.

A phone on a poor connection should not have to fetch a whole PDF (and a PDF viewer) before
reading: each page is rendered once by poppler's ``pdftoppm`` to a small PNG (anti-aliasing off:
a contract page is ~35 KB instead of ~215 KB, the text stays sharp and legible, the seal red),
cached on disk by (SHA-256 of the document version, page), and fetched by the browser only
when the page scrolls into view (``loading="lazy"``). A signed version has a new digest, so
a cached image never shows an older version than the one being signed.

The worker's handwritten signature may also be typed: the name is rendered to a PNG with
Typst and the embedded CJK font (no JavaScript needed, no Pillow).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import typst
from django.conf import settings

from accord.core.errors import NotFound
from accord.envelopes import errors
from accord.envelopes.models import EnvelopeDocument
from accord.signing import providers

PAGE_DPI = 110  # an A4 page is 910 × 1286 px: legible at 375 CSS px, ~2 × on a dense screen
A4_SIZE = (910, 1286)  # reserved on the page before an image loads (no layout shift)
RENDER_TIMEOUT = 30  # seconds; a PDF that takes longer is refused rather than hanging a worker


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
    with tempfile.TemporaryDirectory(prefix="accord-page-") as tmp:
        source = Path(tmp) / "document.pdf"
        source.write_bytes(pdf)
        target = Path(tmp) / "page"
        try:
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    # Anti-aliased glyph edges are what makes a text page's PNG large.
                    "-aa",
                    "no",
                    "-aaVector",
                    "no",
                    "-r",
                    str(PAGE_DPI),
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-singlefile",
                    str(source),
                    str(target),
                ],
                check=True,
                capture_output=True,
                timeout=RENDER_TIMEOUT,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise errors.PAGE_UNAVAILABLE() from exc
        output = target.with_suffix(".png")
        if not output.exists():  # past the last page
            raise errors.PAGE_UNAVAILABLE()
        return output.read_bytes()


# ---- a typed name as a handwritten-signature image --------------------------------------------

TYPED_TEMPLATE = """#set page(width: auto, height: auto, margin: 6pt, fill: none)
#set text(font: ("Noto Serif CJK SC", "Noto Sans CJK SC"), size: 40pt, fill: rgb("#1a1a5e"))
#sys.inputs.at("name")
"""
FONT_DIRS = ["/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts"]
_typst_lock = threading.Lock()


@cache
def _typed_compiler():
    root = Path(tempfile.mkdtemp(prefix="accord-typed-"))
    (root / "typed.typ").write_text(TYPED_TEMPLATE, encoding="utf-8")
    return typst.Compiler(
        str(root / "typed.typ"),
        root=str(root),
        font_paths=[d for d in FONT_DIRS if Path(d).is_dir()],
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
