"""Bounds on an uploaded spreadsheet, checked before any reader expands a cell (issue #13).

An xlsx is a zip of XML parts. Readers (calamine, openpyxl) build a dense grid from the cells'
positions, so two cells, A1 and XFD1048576, in a 1.7 KB file made the reader try to allocate
550 GB and the worker abort with no answer; a part that inflates to gigabytes costs the
memory and the time of inflating it. ``check_spreadsheet`` therefore looks only at the zip's
own directory (how many parts, their declared sizes and compression ratios: a part never
yields more than its declared size) and then streams each worksheet part through a regular
expression that reads the row and column of every ``<row>`` and ``<c>`` — never holding more
than one chunk — and refuses a position past the caps. Only then may a reader open the file.
"""

from __future__ import annotations

import io
import re
import zipfile

from accord.core.errors import SPREADSHEET_TOO_LARGE, AccordError

MAX_PARTS = 500
MAX_RATIO = 200  # a part that inflates more than this many times is a bomb, not a table
_CHUNK = 1024 * 1024
_POSITION = re.compile(rb"<(?:\w+:)?(?:c|row)\b[^>]{0,200}?\sr=\"([A-Z]{0,4})([0-9]{1,9})\"")
_WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> object:
    """A value for a CSV or spreadsheet cell that a spreadsheet program will not run as a
    formula (OWASP "CSV injection"): text starting with = + - @ (or their full-width forms), a
    tab or a carriage return gets a leading apostrophe. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def column_number(letters: str) -> int:
    """``A`` → 1, ``Z`` → 26, ``AA`` → 27 (the spreadsheet's own column names)."""
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - 64)
    return number


def _too_large(max_unpacked: int, max_rows: int, max_columns: int) -> AccordError:
    return SPREADSHEET_TOO_LARGE(
        limit_mb=max(max_unpacked // (1024 * 1024), 1), rows=max_rows, columns=max_columns
    )


def check_spreadsheet(
    data: bytes, *, max_rows: int, max_columns: int, max_unpacked: int = 200 * 1024 * 1024
) -> None:
    """Raise ``core.spreadsheet_too_large`` for a zip-based spreadsheet over the caps.

    A file that is not a zip is left to the reader (which refuses it as not a spreadsheet).
    ``max_rows`` counts the header row too.
    """
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        return
    refuse = _too_large(max_unpacked, max_rows, max_columns)
    try:
        archive = zipfile.ZipFile(buffer)
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise refuse
        if sum(p.file_size for p in parts) > max_unpacked:
            raise refuse
        for part in parts:
            if part.file_size > _CHUNK and part.file_size > MAX_RATIO * max(part.compress_size, 1):
                raise refuse
        for part in parts:
            if _WORKSHEET.match(part.filename):
                _check_positions(archive, part, max_rows, max_columns, refuse)


def _check_positions(
    archive: zipfile.ZipFile,
    part: zipfile.ZipInfo,
    max_rows: int,
    max_columns: int,
    refuse: AccordError,
) -> None:
    tail = b""
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_CHUNK):
                window = tail + chunk
                for match in _POSITION.finditer(window):
                    letters, row = match.group(1), int(match.group(2))
                    if row > max_rows or (
                        letters and column_number(letters.decode()) > max_columns
                    ):
                        raise refuse
                tail = window[-256:]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        return  # a damaged part: the reader refuses it as not a spreadsheet
