"""On paper (issue #11): the seal sits at the 甲方 line and the signature at the 乙方 line of the
document, where its layout put them; no text of the document runs under a mark; the signing
time is printed in its own strip below the mark, never across it; every page carries the
document number and a QR code that opens /verify for it.

These are rendered-page checks: the places come from the PDF (its ``accord-marks.json``
attachment, and the signature widgets once signed), the word boxes from the PDF's text (poppler's
``pdftotext -bbox``), the pixels from the page rendered to an image (``pdftoppm``).
"""

from __future__ import annotations

import re
import struct
import subprocess
import tempfile
import zlib
from io import BytesIO
from pathlib import Path

import pytest
import zxingcpp
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields

from accord.contracts.render import render_document, verify_url
from accord.contracts.shipped import TEMPLATES
from accord.envelopes import drafting, services
from accord.envelopes.models import Party
from accord.signing import providers
from accord.signing.pdf import CAPTION_STRIP, placed_boxes
from tests.envelopes.conftest import last_code, totp_code
from tests.support.factories import contract_fields, published

pytestmark = pytest.mark.django_db


def _stroke_png(width: int = 120, height: int = 36) -> bytes:
    """A drawn signature: a dark diagonal stroke on a transparent ground (RGBA PNG)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b""
    for y in range(height):
        row = bytearray(width * 4)
        for x in range(width):
            if abs(y - x * height // width) <= 2:
                row[x * 4 : x * 4 + 4] = b"\x10\x10\x40\xff"
        rows += b"\x00" + bytes(row)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


DPI = 100
SCALE = DPI / 72


def _words(pdf: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    """(text, x1, y1, x2, y2) of every word on ``page`` (1-based), in PDF points from the top."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "d.pdf"
        src.write_bytes(pdf)
        out = subprocess.run(
            ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(src), "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    return [
        (m.group(5), float(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4)))
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            out,
        )
    ]


def _pixels(pdf: bytes, page: int, dpi: int = DPI) -> tuple[int, int, bytes]:
    """The page rendered at ``dpi`` as RGB bytes (PPM, read without an imaging library)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "d.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), str(src), f"{tmp}/p"],
            check=True,
        )
        data = next(Path(tmp).glob("p*.ppm")).read_bytes()
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    assert header
    return int(header.group(1)), int(header.group(2)), data[header.end() :]


def _ink_rows(image, box_top_down: tuple[float, float, float, float], ink) -> list[int]:
    """The pixel rows (page y, points from the top) inside a box that hold ``ink`` pixels."""
    width, _height, rgb = image
    x1, y1, x2, y2 = (round(v * SCALE) for v in box_top_down)
    rows = []
    for y in range(y1 + 1, y2 - 1):
        line = rgb[(y * width + x1 + 1) * 3 : (y * width + x2 - 1) * 3]
        if any(ink(line[i], line[i + 1], line[i + 2]) for i in range(0, len(line), 3)):
            rows.append(y)
    return rows


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive pixel rows grouped: [(first, last), …] from the top."""
    runs: list[list[int]] = []
    for y in rows:
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return [(a, b) for a, b in runs]


def _any_ink(r, g, b):
    return r < 200 or g < 200 or b < 200


def _widgets(pdf: bytes) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """Signature field name → (page 1-based, rect in points from the page's top)."""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    kids = reader.root["/Pages"]["/Kids"]
    pages = [kids.raw_get(i).idnum for i in range(len(kids))]
    out = {}
    for name, _value, ref in fields.enumerate_sig_fields(reader):
        widget = ref.get_object()
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        page_ix = pages.index(widget.raw_get("/P").idnum)
        height = float(reader.root["/Pages"]["/Kids"][page_ix].get_object()["/MediaBox"][3])
        out[name] = (page_ix + 1, (x1, height - y2, x2, height - y1))
    return out


def _places(pdf: bytes) -> dict[str, tuple[int, tuple[float, float, float, float]]]:
    """The layout's places as the field names they become → (page 1-based, rect from the top)."""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    out = {}
    for party, name in (("employer", "seal1"), ("worker", "sig1")):
        for page, (x1, y1, x2, y2) in placed_boxes(reader).get(party, [])[:1]:
            kids = reader.root["/Pages"]["/Kids"]
            height = float(kids[page].get_object()["/MediaBox"][3])
            out[name] = (page + 1, (x1, height - y2, x2, height - y1))
    return out


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _contract(shop, code="labour-fixed", **over):
    return drafting.create_from_template(
        enterprise=shop.enterprise,
        person=shop.worker,
        version=published(code),
        fields=contract_fields(**over),
        created_by=shop.hr,
        send=True,
    )


def _label(words, prefix: str, rect):
    """The party line above a place: the nearest word above it that starts the line's text (the
    same name may also appear in the body, higher up)."""
    found = [w for w in words if w[0].startswith(prefix) and w[4] <= rect[1] + 1]
    assert found, f"no {prefix} line above {rect}"
    return max(found, key=lambda w: w[4])


VALUES = {
    "employer.name": "深圳市福田区福易科技有限公司",
    "employer.uscc": "91440300MA5G8XXX1T",
    "employer.address": "深圳市福田区福华三路 100 号",
    "employer.legal_representative": "王五",
    "worker.name": "张三",
    "worker.id_number": "440304198209044742",
    "worker.address": "深圳市福田区香蜜湖街道",
    "worker.phone": "13900001111",
    "term": "固定期限，自 2026年01月01日 起至 2028年12月31日 止",
    "term.start_date": "2026-01-01",
    "probation": "不约定",
    "job.title": "仓库管理员",
    "job.place": "深圳市福田区",
    "hours.system": "标准工时制",
    "pay.monthly_wage": "6,000.00",
    "pay.hourly_wage": "30.00",
    "pay.day": "10",
    "document.date": "2026年12月04日",
    "change.description": "岗位调整为仓库主管",
    "change.effective_date": "2027-03-01",
    "renewal.end_date": "2030-12-31",
    "leave.date": "2027-06-30",
    "leave.reason": "劳动合同期满",
    "confirm.date": "2026-04-01",
    "probation.end_date": "2026-03-31",
}


@pytest.mark.parametrize("shipped", TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_each_template_places_seal_and_signature_at_its_party_lines_over_no_text(shipped):
    _code, _kind, _name, title, sections = shipped
    rendered = render_document(title, sections, VALUES, number="FY20261204-7K3Q9D2M")
    pdf = rendered.pdf
    # The places travel in the PDF (its attachment) and are the ones Typst's query gave.
    widgets = _places(pdf)
    assert set(widgets) == {"seal1", "sig1"}
    assert placed_boxes(PdfFileReader(BytesIO(pdf), strict=False)) == {
        m.party: [(m.page, m.box)] for m in rendered.marks
    }
    lines = {
        line["party"]: (line.get("label") or line["name"]).replace("{{employer.name}}", "")
        or VALUES["employer.name"]
        for section in sections
        for line in section.get("signatures", [])
    }
    for name, party in (("seal1", "employer"), ("sig1", "worker")):
        page, rect = widgets[name]
        # The field is where the layout said (Typst's query, turned into PDF points).
        mark = next(m for m in rendered.marks if m.party == party)
        assert page == mark.page + 1
        words = _words(pdf, page)
        line = _label(words, lines[party][:6], rect)
        # Right under its own party line, in that line's column.
        assert 0 <= rect[1] - line[4] <= 12, (name, rect, line)
        assert abs(rect[0] - line[1]) <= 2
        # No word of the document under the mark.
        assert not [w for w in words if _overlaps(w[1:], rect)], name
        # And nothing drawn there at all on the unsigned page.
        assert not _ink_rows(_pixels(pdf, page), rect, _any_ink), name


def _sealed_and_signed(shop):
    envelope = _contract(shop)
    services.seal(envelope, user=shop.hr, otp_token=totp_code(shop.hr))
    party = envelope.parties.get(role=Party.Role.WORKER)
    services.record_view(party, pages_read=envelope.documents.get().pages)
    services.record_consent(party)
    services.save_signature_image(party, _stroke_png())
    services.request_code(party)
    services.sign_personal(party, code=last_code(), user=shop.worker.user)
    return envelope


def test_signed_marks_fill_the_placed_fields_and_the_time_is_printed_below_each_mark(shop):
    envelope = _sealed_and_signed(shop)
    draft = providers.load_document(envelope.documents.get().original_sha256)
    signed = providers.load_document(envelope.documents.get().current_sha256)
    placed = _places(draft)
    after = _widgets(signed)
    # The seal and the signature went where the layout placed them: same boxes, no others.
    assert set(after) == set(placed) == {"seal1", "sig1"}
    for name in placed:
        assert after[name][0] == placed[name][0]
        assert all(abs(a - b) <= 1 for a, b in zip(after[name][1], placed[name][1], strict=True))
    for name, (page, rect) in after.items():
        image = _pixels(signed, page)
        runs = _runs(_ink_rows(image, rect, _any_ink))
        assert len(runs) >= 2, f"{name}: a mark and its signing time, apart: {runs}"
        caption, mark = runs[-1], runs[-2]
        # The time is printed in the strip at the foot of the field, below the mark.
        assert caption[0] >= (rect[3] - CAPTION_STRIP) * SCALE - 2, (name, runs)
        assert mark[1] < caption[0] - 1, (name, runs)
    # The seal is red and no dark ink (the time) lies among its red pixels.
    page, rect = after["seal1"]
    image = _pixels(signed, page)
    seal_rows = _ink_rows(image, rect, lambda r, g, b: r > 150 and g < 110 and b < 110)
    dark_rows = _ink_rows(image, rect, lambda r, g, b: r < 90 and g < 90 and b < 90)
    assert seal_rows and dark_rows and max(seal_rows) < min(dark_rows)


def test_every_page_carries_the_number_and_a_qr_code_for_verify(shop):
    # A long description makes the contract run over more than one page.
    envelope = _contract(shop, hours_description="每周工作五天，每天八小时。" * 40)
    doc = envelope.documents.get()
    pdf = providers.load_document(doc.current_sha256)
    assert doc.pages >= 2
    for page in range(1, doc.pages + 1):
        text = " ".join(w[0] for w in _words(pdf, page))
        assert envelope.number in text, page
        # The QR code printed on the page opens /verify for this very document.
        width, height, rgb = _pixels(pdf, page, dpi=150)
        image = memoryview(rgb).cast("B", (height, width, 3))
        codes = [c.text for c in zxingcpp.read_barcodes(image)]
        assert codes == [verify_url(envelope.number)], page
    assert verify_url(envelope.number).endswith(f"/verify?number={envelope.number}")
