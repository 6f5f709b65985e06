"""Crafted hostile files, built byte by byte: what an attacker uploads (issue #13)."""

from __future__ import annotations

import io
import zipfile


def _pdf(objects: dict[int, bytes], root: int = 1) -> bytes:
    out = [b"%PDF-1.7\n"]
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = sum(len(part) for part in out)
        out.append(b"%d 0 obj\n%s\nendobj\n" % (number, objects[number]))
    size = max(objects) + 1
    xref = sum(len(part) for part in out)
    out.append(b"xref\n0 %d\n" % size)
    for number in range(size):
        out.append(
            b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
        )
    out.append(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    )
    return b"".join(out)


def pdf_page_tree_twice(depth: int = 24) -> bytes:
    """Each page-tree node points twice at its child: 2^depth pages in ~2.5 KB."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    nodes = [2 + k for k in range(depth)]
    leaf = 2 + depth
    for k, number in enumerate(nodes):
        child = nodes[k + 1] if k + 1 < depth else leaf
        objects[number] = b"<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count %d >>" % (
            child,
            child,
            2 ** (depth - k),
        )
    objects[leaf] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"
    return _pdf(objects)


def pdf_page_tree_cycle() -> bytes:
    """A page-tree node whose kid is its own parent."""
    return _pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            3: b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
            4: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
        }
    )


def pdf_plain() -> bytes:
    """A well-formed one-page PDF with no signature."""
    return _pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
        }
    )


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>"
)


def xlsx(sheet_data: bytes, dimension: bytes = b"A1", padding: int = 0) -> bytes:
    """A minimal xlsx whose first sheet holds ``sheet_data`` (``<row>`` elements)."""
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="'
        + dimension
        + b'"/><sheetData>'
        + sheet_data
        + b"</sheetData>"
        + b" " * padding
        + b"</worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def xlsx_far_cell() -> bytes:
    """Two cells, A1 and the last cell of a sheet: a dense reader allocates 17 billion cells."""
    return xlsx(
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>y</t></is></c></row>',
        dimension=b"A1:XFD1048576",
    )


def xlsx_bomb(unpacked_mb: int = 200) -> bytes:
    """A sheet that deflates from a few hundred KB to ``unpacked_mb`` MB of blanks."""
    return xlsx(b'<row r="1"><c r="A1"><v>1</v></c></row>', padding=unpacked_mb * 1024 * 1024)
