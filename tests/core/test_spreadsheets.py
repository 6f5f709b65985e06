"""Spreadsheets are bounded before a reader builds its grid (issue #13): a 1.7 KB xlsx with a
cell at XFD1048576 made the reader abort the worker; a part that inflates to hundreds of MB
held it for seconds. Each is a clear 422 now; the batch check reads ordinary files as before."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from accord.contracts import batch
from accord.core.errors import AccordError
from accord.core.spreadsheets import check_spreadsheet, column_number
from tests.support import crafted


def _refused(data: bytes, **caps) -> AccordError:
    with pytest.raises(AccordError) as refused:
        check_spreadsheet(data, **{"max_rows": 100, "max_columns": 20, **caps})
    return refused.value


def test_a_cell_at_the_far_corner_is_refused_before_the_reader_opens_the_file():
    data = crafted.xlsx_far_cell()
    assert len(data) < 4096
    error = _refused(data)
    assert error.code == "core.spreadsheet_too_large" and error.status == 422
    assert error.field == "file" and "行" in error.message_zh
    with pytest.raises(AccordError) as through_the_batch_check:
        batch.read_rows(data)
    assert through_the_batch_check.value.code == "core.spreadsheet_too_large"


def test_a_zip_bomb_is_refused_from_the_declared_sizes():
    data = crafted.xlsx_bomb(unpacked_mb=80)
    assert len(data) < 1024 * 1024
    assert _refused(data, max_unpacked=64 * 1024 * 1024).code == "core.spreadsheet_too_large"


def test_a_row_past_the_cap_is_refused_and_one_at_it_passes():
    at_cap = crafted.xlsx(b'<row r="100"><c r="T100"><v>1</v></c></row>')
    check_spreadsheet(at_cap, max_rows=100, max_columns=20)
    assert _refused(crafted.xlsx(b'<row r="101"><c r="A101"><v>1</v></c></row>'))
    assert _refused(crafted.xlsx(b'<row r="1"><c r="U1"><v>1</v></c></row>'))


def test_a_header_without_rows_is_an_empty_batch_not_a_batch_of_none():
    book = Workbook()
    book.active.append([zh for _key, zh, _en, _required in batch.COLUMNS])
    book.active.append([None, "", None])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(AccordError) as refused:
        batch.read_rows(out.getvalue())
    assert refused.value.code == "batch.empty"


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3))
def test_column_numbers_are_the_spreadsheets_own(letters):
    n = column_number(letters)
    back = ""
    while n:
        n, r = divmod(n - 1, 26)
        back = chr(65 + r) + back
    assert back == letters


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash_the_check(data):
    try:
        check_spreadsheet(data, max_rows=100, max_columns=20)
    except AccordError as error:
        assert error.status == 422
