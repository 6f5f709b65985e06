"""Many documents in one Typst compilation, split into one PDF each (docs/decisions/0006): each
PDF is, in content, the PDF that document rendered alone would be — text, pages and their
numbers, rasterised pages, metadata, tagged structure — and carries nothing of the others'
text, not even in its fonts."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import tempfile
import zlib
from pathlib import Path

import pikepdf
import pytest

from accord.contracts import render, split
from accord.contracts.shipped import TEMPLATES

TITLE, SECTIONS = next((t[3], t[4]) for t in TEMPLATES if t[0] == "labour-fixed")
NAMES = ["王小明", "李娜", "欧阳震华", "赵鑫"]


def source(n: int, *, long: bool = False) -> render.Source:
    values = {
        "worker.name": NAMES[n],
        "worker.id_number": f"44030419900101{n:03d}X",
        "employer.name": "深圳福田示范科技有限公司",
        "job.title": "工程师" if n % 2 else "仓库管理员",
        "job.place": "深圳市福田区",
        "pay.monthly_wage": str(8000 + n),
    }
    sections = list(SECTIONS)
    if long:  # a contract of more pages than the others: its own total on every page
        sections += [{"heading": "附件", "text": "\n".join(["补充条款：双方另行约定。"] * 120)}]
    return render.Source(TITLE, sections, values, number=f"FY20260000{n:04d}", footer="测试 v1")


def alone(s: render.Source) -> render.Rendered:
    return render.render_document(s.title, s.sections, s.values, number=s.number, footer=s.footer)


def tool(*args: str, pdf: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        out = [] if args[0] == "pdfinfo" else ["-"]
        return subprocess.run([*args, str(path), *out], capture_output=True, check=True).stdout


def rasters(pdf: bytes) -> list[str]:
    """A digest of each page drawn by poppler (greyscale, 40 dpi)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "40", "-gray", str(path), f"{tmp}/p"], check=True)
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(tmp).glob("p*"))]


def info(pdf: bytes) -> dict[str, str]:
    lines = tool("pdfinfo", pdf=pdf).decode().splitlines()
    found = dict(line.split(":", 1) for line in lines if ":" in line)
    return {k: found[k].strip() for k in ("Title", "Creator", "Tagged", "Pages", "Page size")}


def structure(pdf: bytes) -> list[str]:
    """The structure types of the tagged PDF, depth first."""
    doc = pikepdf.open(io.BytesIO(pdf))
    out: list[str] = []

    def walk(element):
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            out.append(str(element.S))
            kids = element.get("/K", [])
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                walk(kid)

    root = doc.Root.StructTreeRoot
    for element in root.K if isinstance(root.K, pikepdf.Array) else [root.K]:
        walk(element)
    return out


def fonts(pdf: bytes) -> dict[str, tuple[int, str]]:
    """Per embedded font: how many glyphs have an outline, and the text its ToUnicode maps."""
    doc = pikepdf.open(io.BytesIO(pdf))
    out = {}
    for page in doc.pages:
        for font in page.Resources.Font.values():
            name = str(font.BaseFont).split("+", 1)[-1]
            program = font.DescendantFonts[0].FontDescriptor.FontFile3.read_bytes()
            glyphs, _ = split._read_index(program, split._dict_operand(_top(program), 17))
            drawn = sum(1 for g in glyphs[1:] if g != split.ENDCHAR)
            cmap = font.ToUnicode.read_bytes()
            text = "".join(
                sorted(
                    bytes.fromhex(u.decode()).decode("utf-16-be")
                    for _c, u in split._PAIR.findall(cmap)
                )
            )
            out[name] = (drawn, text)
    return out


def _top(program: bytes) -> bytes:
    _names, pos = split._read_index(program, program[2])
    tops, _ = split._read_index(program, pos)
    return tops[0]


@pytest.fixture(scope="module")
def rendered():
    sources = [source(0), source(1, long=True), source(2), source(3)]
    return sources, render.render_documents(sources)


def test_each_document_of_one_compilation_is_the_document_rendered_alone(rendered):
    sources, many = rendered
    for s, r in zip(sources, many, strict=True):
        single = alone(s)
        assert r.pages == single.pages == render.page_count(single.pdf)
        assert tool("pdftotext", "-layout", pdf=r.pdf) == tool(
            "pdftotext", "-layout", pdf=single.pdf
        )
        assert rasters(r.pdf) == rasters(single.pdf)  # every glyph drawn as when alone
        assert info(r.pdf) == info(single.pdf)
        assert info(r.pdf)["Tagged"] == "yes"
        assert structure(r.pdf) == structure(single.pdf)
        assert fonts(r.pdf) == fonts(single.pdf)  # the same glyphs, and no other


def test_page_numbers_and_totals_are_each_documents_own(rendered):
    _sources, many = rendered
    assert many[1].pages > many[0].pages >= 1
    for r in many:
        text = tool("pdftotext", "-layout", pdf=r.pdf).decode()
        numbers = re.findall(r"(\d+)\s*/\s*(\d+)\n", text)
        assert numbers == [(str(p), str(r.pages)) for p in range(1, r.pages + 1)]


def test_no_document_carries_another_workers_name_in_text_metadata_or_fonts(rendered):
    sources, many = rendered
    for n, r in enumerate(many):
        text = tool("pdftotext", pdf=r.pdf).decode()
        mapped = "".join(t for _drawn, t in fonts(r.pdf).values())
        assert NAMES[n] in text
        for other in NAMES[:n] + NAMES[n + 1 :]:
            own = set(NAMES[n]) | set("".join(str(v) for v in sources[n].content().values()))
            foreign = set(other) - own - set(str(sources[n].content()))
            assert other not in text
            assert not foreign & set(mapped), (other, foreign & set(mapped))


def test_xmp_metadata_is_each_documents_own(rendered):
    sources, many = rendered
    ids = set()
    for s, r in zip(sources, many, strict=True):
        doc = pikepdf.open(io.BytesIO(r.pdf))
        meta = doc.open_metadata()
        assert meta["dc:title"] == s.content()["title"]
        assert meta["{http://ns.adobe.com/xap/1.0/t/pg/}NPages"] == str(r.pages)
        assert doc.docinfo.Title == s.content()["title"]
        ids.add(meta["{http://ns.adobe.com/xap/1.0/mm/}DocumentID"])
    assert len(ids) == len(many)


def test_each_document_gets_the_queried_layout_facts_of_its_own_pages(rendered):
    sources = [source(0), source(1, long=True)]
    many = render.render_documents(sources, labels=("accord-document",))
    for n, r in enumerate(many):
        marks = r.found["accord-document"]
        assert [(m["index"], m["edge"], m["page"]) for m in marks] == [
            (n, "start", 1),
            (n, "end", r.pages),
        ]


def test_a_compilation_the_splitter_cannot_divide_is_rendered_one_by_one(monkeypatch):
    def refuse(pdf, parts):
        raise split.NotSplittable("test")

    monkeypatch.setattr(split, "split", refuse)
    sources = [source(0), source(2)]
    many = render.render_documents(sources)
    for s, r in zip(sources, many, strict=True):
        assert tool("pdftotext", pdf=r.pdf) == tool("pdftotext", pdf=alone(s).pdf)


def test_cff_pruning_empties_only_the_glyphs_not_kept():
    pdf = alone(source(0)).pdf
    doc = pikepdf.open(io.BytesIO(pdf))
    font = next(iter(doc.pages[0].Resources.Font.values()))
    program = font.DescendantFonts[0].FontDescriptor.FontFile3.read_bytes()
    keep = {1, 3}
    pruned, packed = split.PrunableFont(program).pruned(keep)
    assert zlib.decompress(packed) == pruned
    glyphs, end = split._read_index(pruned, split._dict_operand(_top(pruned), 17))
    original, _ = split._read_index(program, split._dict_operand(_top(program), 17))
    assert end == len(pruned) and len(glyphs) == len(original)
    for gid, glyph in enumerate(glyphs):
        assert glyph == (original[gid] if gid in (0, 1, 3) else split.ENDCHAR)
