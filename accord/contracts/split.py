"""One Typst compilation of many documents, split into one PDF per document (render.py).

Each document keeps what is its own, as if it had been compiled alone (docs/decisions/0006):

* its pages, with the page numbers and total Typst printed on them (layout.typ);
* its metadata: the document information (title, creator, dates) and the XMP packet, with
  its own title, page count and document id;
* its tagged-PDF structure: the structure elements on its pages under a document element
  of its own, the parent tree renumbered for its pages, the catalogue's language and
  mark information;
* fonts subset to its own text: the compilation subsets each font to the glyphs of all its
  documents, so every glyph no page of this document shows is emptied from the embedded font
  program and dropped from its ToUnicode map — no document carries a trace of another's text
  (a worker's name in a colleague's contract, say).

What the splitter does not recognise (a font program it cannot prune, a structure it cannot
divide) raises ``NotSplittable``: the caller then renders those documents one by one.
"""

from __future__ import annotations

import array
import base64
import html
import io
import itertools
import re
import struct
import sys
import uuid
import zlib
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

ENDCHAR = b"\x0e"  # a Type 2 charstring that draws nothing


class NotSplittable(Exception):
    """The compiled PDF has a feature the splitter does not divide safely."""


@dataclass(frozen=True)
class Part:
    first: int  # index of the document's first page in the compiled PDF
    last: int  # index of its last page (inclusive)
    title: str


# ---- fonts -----------------------------------------------------------------------------------


def _read_index(data: bytes, pos: int) -> tuple[list[bytes], int]:
    """A CFF INDEX at ``pos``: its entries and the position after it."""
    (count,) = struct.unpack_from(">H", data, pos)
    if count == 0:
        return [], pos + 2
    off_size = data[pos + 2]
    offsets = [
        int.from_bytes(data[pos + 3 + i * off_size : pos + 3 + (i + 1) * off_size], "big")
        for i in range(count + 1)
    ]
    base = pos + 3 + (count + 1) * off_size - 1
    return [data[base + offsets[i] : base + offsets[i + 1]] for i in range(count)], base + offsets[
        -1
    ]


def _write_index(entries: list[bytes]) -> bytes:
    if not entries:
        return b"\x00\x00"
    offsets = [1, *itertools.accumulate((len(e) for e in entries), initial=1)][1:]
    total = offsets[-1]
    off_size = 1 if total < 1 << 8 else 2 if total < 1 << 16 else 3 if total < 1 << 24 else 4
    if off_size in (1, 2):
        packed = struct.pack(f">{len(offsets)}{'B' if off_size == 1 else 'H'}", *offsets)
    else:
        packed = b"".join(o.to_bytes(off_size, "big") for o in offsets)
    return struct.pack(">HB", len(entries), off_size) + packed + b"".join(entries)


def _dict_operand(top: bytes, wanted: int) -> int | None:
    """The integer operand of operator ``wanted`` in a CFF DICT."""
    operands: list[int] = []
    i = 0
    while i < len(top):
        b = top[i]
        if b <= 21:  # an operator
            op = b
            if b == 12:
                op, i = 1200 + top[i + 1], i + 1
            if op == wanted:
                return operands[-1] if operands else None
            operands = []
            i += 1
        elif b == 28:
            operands.append(struct.unpack_from(">h", top, i + 1)[0])
            i += 3
        elif b == 29:
            operands.append(struct.unpack_from(">i", top, i + 1)[0])
            i += 5
        elif b == 30:  # a real number: skip its nibbles
            i += 1
            while i < len(top) and (top[i] & 0x0F) != 0x0F and (top[i] >> 4) != 0x0F:
                i += 1
            i += 1
            operands.append(0)
        elif 32 <= b <= 246:
            operands.append(b - 139)
            i += 1
        elif 247 <= b <= 250:
            operands.append((b - 247) * 256 + top[i + 1] + 108)
            i += 2
        elif 251 <= b <= 254:
            operands.append(-(b - 251) * 256 - top[i + 1] - 108)
            i += 2
        else:
            raise NotSplittable("CFF DICT")
    return None


def _deflated(data: bytes) -> bytes:
    """A raw deflate segment ending on a byte boundary (a full flush, not final): segments
    concatenate into one deflate stream."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)


_FINAL = zlib.compressobj(6, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # an empty last block


class PrunableFont:
    """A CFF font program of the compilation, read once: the same program with only some
    glyphs' outlines, compressed from segments compressed once (a chunk's documents share
    the glyphs, so nothing is compressed twice).

    Typst's subsetter writes the CharStrings INDEX last and without subroutines, so every
    outline is in that INDEX and rewriting it moves nothing else; any other layout is refused
    (NotSplittable)."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 4 or data[0] != 1:
            raise NotSplittable("not a CFF font")
        pos = data[2]  # header size
        _names, pos = _read_index(data, pos)
        tops, pos = _read_index(data, pos)
        if len(tops) != 1:
            raise NotSplittable("CFF font set")
        at = _dict_operand(tops[0], 17)  # CharStrings
        if at is None or _dict_operand(tops[0], 19) is not None:  # Subrs in the top DICT
            raise NotSplittable("CFF layout")
        _strings, pos = _read_index(data, pos)
        global_subrs, _ = _read_index(data, pos)
        glyphs, end = _read_index(data, at)
        if end != len(data) or global_subrs:
            raise NotSplittable("CFF layout")
        self.head = data[:at]
        self.glyphs = glyphs
        self._head = _deflated(self.head)
        self._glyphs = [_deflated(g) for g in glyphs]
        self._empty = _deflated(ENDCHAR)

    def pruned(self, keep: set[int]) -> tuple[bytes, bytes]:
        """(the program, the same as a zlib stream) with every glyph outside ``keep`` and
        .notdef emptied."""
        kept = [gid == 0 or gid in keep for gid in range(len(self.glyphs))]
        glyphs = [g if k else ENDCHAR for g, k in zip(self.glyphs, kept, strict=True)]
        index = _write_index(glyphs)
        head = index[: len(index) - sum(len(g) for g in glyphs)]
        program = self.head + index
        packed = b"".join(
            [
                b"\x78\x9c",
                self._head,
                _deflated(head),
                *(z if k else self._empty for z, k in zip(self._glyphs, kept, strict=True)),
                _FINAL,
                struct.pack(">I", zlib.adler32(program)),
            ]
        )
        return program, packed


def prune_cff(data: bytes, keep: set[int]) -> bytes:
    """The CFF font program with every glyph outside ``keep`` (and .notdef) emptied."""
    return PrunableFont(data).pruned(keep)[0]


_BFCHAR = re.compile(rb"(\d+)\s+beginbfchar(.*?)endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def prune_to_unicode(cmap: bytes, keep: set[int]) -> bytes:
    """The ToUnicode CMap with only the glyphs in ``keep`` (the ones this document shows)."""
    return _ToUnicode(cmap).pruned(keep)


def _font_program(font: pikepdf.Object) -> pikepdf.Object:
    if font.get("/Subtype") != Name.Type0 or font.get("/Encoding") != Name("/Identity-H"):
        raise NotSplittable("font encoding")
    descriptor = font.DescendantFonts[0].FontDescriptor
    program = descriptor.get("/FontFile3")
    if program is None or program.get("/Subtype") != Name("/CIDFontType0C"):
        raise NotSplittable("font program")
    return program


_SHOW = {"Tj", "TJ", "'", '"'}
_OPERATORS = "Tf Tj TJ ' \" Do"


def _glyphs_used(content: pikepdf.Object, resources: pikepdf.Object, used: dict, seen: set) -> None:
    """Add to ``used[font objgen] = (font, bytearray)`` the two-byte glyph codes that a page
    or form shows with each font (decoded into glyph ids by ``_glyph_ids``)."""
    fonts = resources.get("/Font", {}) if resources is not None else {}
    current = None
    for operands, operator in pikepdf.parse_content_stream(content, _OPERATORS):
        op = str(operator)
        if op == "Tf":
            font = fonts.get(str(operands[0]))
            if font is None:
                raise NotSplittable("font resource")
            current = used.setdefault(font.objgen, (font, bytearray()))[1]
        elif op in _SHOW:
            if current is None:
                raise NotSplittable("text without font")
            strings = operands[0] if op == "TJ" else operands[-1:]
            current += b"".join(bytes(s) for s in strings if isinstance(s, pikepdf.String))
        elif op == "Do":
            xobjects = resources.get("/XObject", {}) if resources is not None else {}
            form = xobjects.get(str(operands[0]))
            if form is not None and form.get("/Subtype") == Name.Form and form.objgen not in seen:
                seen.add(form.objgen)
                _glyphs_used(form, form.get("/Resources", resources), used, seen)


def _glyph_ids(codes: bytearray) -> set[int]:
    if len(codes) % 2:
        raise NotSplittable("odd glyph codes")
    ids = array.array("H", bytes(codes))
    if sys.byteorder == "little":
        ids.byteswap()
    return set(ids)


# ---- structure -------------------------------------------------------------------------------


def _number_tree(node: pikepdf.Object, out: dict[int, pikepdf.Object]) -> None:
    nums = node.get("/Nums")
    if nums is not None:
        for i in range(0, len(nums), 2):
            out[int(nums[i])] = nums[i + 1]
    for kid in node.get("/Kids", []):
        _number_tree(kid, out)


def _first_page(element: pikepdf.Object, pages: dict, depth: int = 0) -> int | None:
    if not isinstance(element, pikepdf.Dictionary) or depth > 64:
        return None
    page = element.get("/Pg")
    if page is not None and page.objgen in pages:
        return pages[page.objgen]
    kids = element.get("/K")
    if kids is None:
        return None
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        found = _first_page(kid, pages, depth + 1)
        if found is not None:
            return found
    return None


def _divide_structure(src: pikepdf.Pdf, parts: list[Part]) -> list[pikepdf.Object] | None:
    """One document element per part, in the source, holding the part's structure elements
    (the elements' parent links now point to it). None when the PDF is not tagged."""
    root = src.Root.get("/StructTreeRoot")
    if root is None:
        return None
    if set(root.keys()) - {"/Type", "/K", "/ParentTree", "/ParentTreeNextKey", "/RoleMap"}:
        raise NotSplittable("structure tree keys")
    top = root.K if isinstance(root.K, pikepdf.Array) else Array([root.K])
    if len(top) != 1 or not isinstance(top[0], pikepdf.Dictionary):
        raise NotSplittable("structure tree root")
    document = top[0]
    page_index = {p.objgen: i for i, p in enumerate(src.pages)}
    owner = [0] * len(src.pages)
    for n, part in enumerate(parts):
        for i in range(part.first, part.last + 1):
            owner[i] = n
    kids = document.K if isinstance(document.K, pikepdf.Array) else Array([document.K])
    grouped: list[list[pikepdf.Object]] = [[] for _ in parts]
    last = 0
    for kid in kids:
        if not isinstance(kid, pikepdf.Dictionary):
            raise NotSplittable("marked content at the document level")
        page = _first_page(kid, page_index)
        last = owner[page] if page is not None else last
        grouped[last].append(kid)
    elements = []
    for group in grouped:
        element = src.make_indirect(
            Dictionary({k: v for k, v in document.items() if k not in ("/K", "/P")})
        )
        element.K = Array(group)
        for kid in group:
            kid.P = element
        elements.append(element)
    return elements


def _copy(dst: pikepdf.Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    # copy_foreign takes indirect objects only; a direct one is copied through its parts.
    if not isinstance(obj, pikepdf.Object):
        return obj  # a number, a boolean
    if obj.is_indirect:
        return dst.copy_foreign(obj)
    if isinstance(obj, pikepdf.Dictionary):
        return Dictionary({k: _copy(dst, v) for k, v in obj.items()})
    if isinstance(obj, pikepdf.Array):
        return Array([_copy(dst, v) for v in obj])
    return obj


# ---- the split -------------------------------------------------------------------------------


_DESCRIPTION = re.compile(rb"<rdf:Description\b[^>]*>")
_NPAGES = re.compile(rb"<xmpTPg:NPages>\d+</xmpTPg:NPages>")
_IDS = re.compile(rb"<xmpMM:(InstanceID|DocumentID)>[^<]*</xmpMM:\1>")


def _xmp(source: bytes, title: str, pages: int) -> bytes:
    """The compilation's XMP packet made the document's: its title (where Typst writes it
    for a single document), its page count, an id of its own."""
    description = _DESCRIPTION.search(source)
    if description is None or not _NPAGES.search(source) or b"<dc:title>" in source:
        raise NotSplittable("XMP packet")
    escaped = html.escape(title, quote=False).encode()
    packet = (
        source[: description.end()]
        + b'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">%s</rdf:li></rdf:Alt></dc:title>'
        % escaped
        + source[description.end() :]
    )
    packet = _NPAGES.sub(b"<xmpTPg:NPages>%d</xmpTPg:NPages>" % pages, packet)
    identifier = base64.b64encode(uuid.uuid4().bytes)
    return _IDS.sub(lambda m: b"<xmpMM:%s>%s</xmpMM:%s>" % (m[1], identifier, m[1]), packet)


class _ToUnicode:
    """A ToUnicode CMap of the compilation, read once, pruned per document."""

    def __init__(self, cmap: bytes) -> None:
        if b"beginbfrange" in cmap:
            raise NotSplittable("ToUnicode ranges")
        blocks = list(_BFCHAR.finditer(cmap))
        if not blocks:
            raise NotSplittable("ToUnicode")
        self.head, self.tail = cmap[: blocks[0].start()], cmap[blocks[-1].end() :].lstrip(b"\n")
        self.pairs = [
            (int(code, 16), b"<%s> <%s>\n" % (code, uni))
            for block in blocks
            for code, uni in _PAIR.findall(block.group(2))
        ]

    def pruned(self, keep: set[int]) -> bytes:
        lines = [line for code, line in self.pairs if code in keep]
        body = b"".join(
            b"%d beginbfchar\n" % len(chunk) + b"".join(chunk) + b"endbfchar\n"
            for chunk in (lines[i : i + 100] for i in range(0, len(lines), 100))
        )
        return self.head + body + self.tail


def split(pdf: bytes, parts: list[Part]) -> list[bytes]:
    """The PDF of each part of a compilation of many documents (see the module docstring)."""
    src = pikepdf.open(io.BytesIO(pdf))
    pages = list(src.pages)
    if not parts or parts[0].first != 0 or parts[-1].last != len(pages) - 1:
        raise NotSplittable("parts do not cover the pages")
    parent_tree: dict[int, pikepdf.Object] = {}
    struct_root = src.Root.get("/StructTreeRoot")
    if struct_root is not None:
        _number_tree(struct_root.ParentTree, parent_tree)
    elements = _divide_structure(src, parts)
    info = {k: v for k, v in src.docinfo.items() if k != "/Title"}
    programs: dict[tuple[int, int], PrunableFont] = {}
    cmaps: dict[tuple[int, int], _ToUnicode] = {}
    xmp = src.Root.Metadata.read_bytes() if "/Metadata" in src.Root else None
    out = []
    for n, part in enumerate(parts):
        dst = pikepdf.new()
        used: dict = {}
        seen: set = set()
        for i in range(part.first, part.last + 1):
            _glyphs_used(pages[i], pages[i].obj.get("/Resources"), used, seen)
            dst.pages.append(pages[i])
        for key in ("/Lang", "/MarkInfo", "/ViewerPreferences"):
            if key in src.Root:
                dst.Root[key] = _copy(dst, src.Root[key])
        if elements is not None:
            nums = Array()
            for j, page in enumerate(dst.pages):
                old = page.obj.get("/StructParents")
                if old is not None:
                    page.obj.StructParents = j
                    nums.extend([j, _copy(dst, parent_tree[int(old)])])
                for annot in page.obj.get("/Annots", []):
                    if "/StructParent" in annot:
                        raise NotSplittable("annotations in the structure")
            element = dst.copy_foreign(elements[n])
            tree = dst.make_indirect(
                Dictionary(
                    Type=Name.StructTreeRoot,
                    K=Array([element]),
                    ParentTree=dst.make_indirect(Dictionary(Nums=nums)),
                    ParentTreeNextKey=len(dst.pages),
                )
            )
            if "/RoleMap" in struct_root:
                tree.RoleMap = _copy(dst, struct_root.RoleMap)
            element.P = tree
            dst.Root.StructTreeRoot = tree
        for font, codes in used.values():
            keep = _glyph_ids(codes)
            if font.objgen not in programs:
                programs[font.objgen] = PrunableFont(_font_program(font).read_bytes())
            copied = dst.copy_foreign(font)
            _font_program(copied).write(
                programs[font.objgen].pruned(keep)[1], filter=Name.FlateDecode
            )
            if "/ToUnicode" in copied:
                if font.objgen not in cmaps:
                    cmaps[font.objgen] = _ToUnicode(font.ToUnicode.read_bytes())
                copied.ToUnicode.write(
                    zlib.compress(cmaps[font.objgen].pruned(keep), 1), filter=Name.FlateDecode
                )
        dst.docinfo = dst.make_indirect(Dictionary({**info, "/Title": pikepdf.String(part.title)}))
        if xmp is not None:
            dst.Root.Metadata = dst.make_stream(
                _xmp(xmp, part.title, len(dst.pages)), Type=Name.Metadata, Subtype=Name.XML
            )
        buffer = io.BytesIO()
        dst.save(
            buffer,
            compress_streams=True,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            fix_metadata_version=False,
            min_version=src.pdf_version,
        )
        out.append(buffer.getvalue())
    return out
