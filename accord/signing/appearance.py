"""Visible signature appearances, drawn with Typst (no raster library needed).

A seal is a red round stamp with the owner's name along the upper arc and a star in the
middle, drawn as vectors; a person's appearance is their handwritten signature (a PNG
captured on a phone canvas) or, without one, their name. Each appearance is a one-page PDF
that pyHanko imports as the signature widget's background. One compiled template per kind
(DESIGN.md: keep one ``typst.Compiler`` per template version).
"""

from __future__ import annotations

import binascii
import tempfile
import threading
import uuid
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

import typst
from django.conf import settings
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader

from accord.signing.errors import SIGNATURE_IMAGE_INVALID

SEAL_TEMPLATE = r"""
#set page(width: 42mm, height: 42mm, margin: 0pt, fill: none)
#let red = rgb("#d8140f")
#set text(font: ("Noto Serif CJK SC", "Noto Sans CJK SC", "Noto Serif SC"), fill: red)
#let name = sys.inputs.at("name", default: "")
#let sub = sys.inputs.at("sub", default: "")
#place(center + horizon, circle(radius: 20mm, stroke: 1.1mm + red))
#let star(r) = {
  let pts = range(10).map(i => {
    let a = 90deg + i * 36deg
    let rr = if calc.rem(i, 2) == 0 { r } else { r * 0.382 }
    (21mm + rr * calc.cos(a), 21mm - rr * calc.sin(a))
  })
  place(top + left, polygon(fill: red, stroke: none, ..pts))
}
#star(6.5mm)
#let chars = name.clusters()
#let n = chars.len()
#let size = if n <= 8 { 10pt } else if n <= 12 { 8.5pt } else { 7pt }
#let span = calc.min(250deg, n * 23deg)
#for (i, c) in chars.enumerate() {
  let a = if n > 1 { -span / 2 + span * i / (n - 1) } else { 0deg }
  let x = 21mm + 15mm * calc.sin(a)
  let y = 21mm - 15mm * calc.cos(a)
  place(top + left, dx: x - 2.5mm, dy: y - 2.5mm,
    box(width: 5mm, height: 5mm, align(center + horizon,
      rotate(a, reflow: false, text(size: size, weight: "bold", c)))))
}
#place(center + horizon, dy: 11mm, text(size: 6pt, weight: "bold", sub))
"""

PERSON_TEMPLATE = r"""
#set page(width: 60mm, height: 24mm, margin: 1mm, fill: none)
#set text(font: ("Noto Sans CJK SC", "Noto Serif CJK SC", "Noto Serif SC"))
#let name = sys.inputs.at("name", default: "")
#let image-file = sys.inputs.at("image", default: "")
#if image-file != "" {
  align(center + horizon, image(image-file, height: 18mm, fit: "contain"))
} else {
  align(center + horizon, text(size: 20pt, name))
}
#place(bottom + right, text(size: 5pt, fill: gray)[福易签 电子签名])
"""

_MAX_IMAGE_BYTES = 512 * 1024
_lock = threading.Lock()


def _font_paths() -> list[str]:
    return [str(d) for d in settings.ACCORD_FONT_DIRS]


@cache
def _template_dir() -> Path:
    # The compilers' root: the templates, and handwritten images under one-off names.
    return Path(tempfile.mkdtemp(prefix="accord-appearance-"))


def _compiler(name: str, template: str) -> typst.Compiler:
    source = _template_dir() / name
    source.write_bytes(template.encode())
    return typst.Compiler(str(source), root=str(_template_dir()), font_paths=_font_paths())


@cache
def _seal_compiler() -> typst.Compiler:
    return _compiler("seal.typ", SEAL_TEMPLATE)


@lru_cache(maxsize=256)
def seal_pdf(name: str, subtitle: str = "") -> bytes:
    """A red round seal with ``name`` on the arc; cached (the same seal for every document)."""
    with _lock:  # a Compiler is not meant to be shared by threads at once
        pdf = _seal_compiler().compile(format="pdf", sys_inputs={"name": name, "sub": subtitle})
    assert isinstance(pdf, bytes)
    return pdf


@cache
def _person_compiler() -> typst.Compiler:
    return _compiler("person.typ", PERSON_TEMPLATE)


def person_pdf(name: str, signature_png: bytes | None = None) -> bytes:
    """A person's appearance: their handwritten signature image, or their name."""
    inputs = {"name": name}
    image_path = None
    if signature_png:
        if len(signature_png) > _MAX_IMAGE_BYTES or not signature_png.startswith(
            b"\x89PNG\r\n\x1a\n"
        ):
            raise SIGNATURE_IMAGE_INVALID("signature_image")
        image_path = _template_dir() / f"{uuid.uuid4().hex}.png"
        image_path.write_bytes(signature_png)
        inputs["image"] = image_path.name
    try:
        with _lock:
            pdf = _person_compiler().compile(format="pdf", sys_inputs=inputs)
            assert isinstance(pdf, bytes)
            return pdf
    except RuntimeError as exc:
        raise SIGNATURE_IMAGE_INVALID("signature_image") from exc
    finally:
        if image_path is not None:
            image_path.unlink(missing_ok=True)


class PdfBytesPage(PdfContent):
    """Like pyHanko's ``ImportedPdfPage``, but from bytes in memory rather than a file."""

    def __init__(self, data: bytes, page_ix: int = 0) -> None:
        self.data = data
        self.page_ix = page_ix
        super().__init__()

    def render(self) -> bytes:
        w = self._ensure_writer
        xobj = w.import_page_as_xobject(PdfFileReader(BytesIO(self.data)), page_ix=self.page_ix)
        resource_name = b"/Import" + binascii.hexlify(uuid.uuid4().bytes)
        self.resources.xobject[resource_name.decode("ascii")] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return resource_name + b" Do"
