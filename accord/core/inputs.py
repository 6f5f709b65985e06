"""Untrusted input: the one place where every request's size, text and structure are bounded.

Anything an anonymous client sends passes these checks before a view sees it, so that no
request can hold a worker or answer 500 (issue #13):

* the body: refused at its declared ``Content-Length``, and counted while multipart uploads
  stream to disk (``LimitedUploadHandler``), never read whole into memory first;
* text in query strings, forms and JSON: no NUL, no C0 control character other than tab and
  line breaks, no lone UTF-16 surrogate — PostgreSQL cannot store the first and the last, and
  none belongs in a name, a filter or a contract;
* JSON: at most ``ACCORD_JSON_MAX_DEPTH`` levels (a deeply nested body otherwise recurses
  through the parser and the schema validation);
* dates: a calendar window (``DATE_EARLIEST`` – ``DATE_LATEST``) that the labour-law date
  arithmetic can never overflow (a 9999-12-31 start plus a probation month would).

Each refusal is a declared error of ``core.errors`` with its code, both messages and the field.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from accord.core.errors import (
    DATE_OUT_OF_RANGE,
    INVALID_CHARACTERS,
    INVISIBLE_CHARACTERS,
    JSON_TOO_DEEP,
    REQUEST_TOO_LARGE,
    AccordError,
    Problem,
)
from accord.core.middleware import error_response

DATE_EARLIEST = dt.date(1900, 1, 1)
DATE_LATEST = dt.date(2199, 12, 31)

# NUL and the C0 controls except tab, LF and CR; DEL; the lone surrogates (U+D800–U+DFFF).
_BAD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


# In a name that goes into a contract, also no line break or tab, and none of the characters
# that are invisible or reorder the text shown: zero-width spaces and joiners, the soft hyphen,
# the bidirectional embeddings, overrides and isolates (U+202A–E, U+2066–9; "Trojan Source").
_NOT_IN_A_NAME = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)


def check_name(value: str, field: str | None) -> str:
    """``value`` unchanged, or ``core.invisible_characters``: for names of people, enterprises
    and anything else printed into a document."""
    if _NOT_IN_A_NAME.search(value):
        raise INVISIBLE_CHARACTERS(field)
    return value


def max_request_bytes() -> int:
    return int(getattr(settings, "ACCORD_MAX_REQUEST_BYTES", 25 * 1024 * 1024))


def json_max_depth() -> int:
    return int(getattr(settings, "ACCORD_JSON_MAX_DEPTH", 32))


def _mb(n: int) -> int:
    return max(n // (1024 * 1024), 1)


def too_large(limit: int) -> AccordError:
    return REQUEST_TOO_LARGE(limit_mb=_mb(limit))


def clean_text(value: str) -> bool:
    return _BAD_TEXT.search(value) is None


def check_text(value: str, field: str | None) -> str:
    """``value`` unchanged, or ``core.invalid_characters`` on ``field``."""
    if not clean_text(value):
        raise INVALID_CHARACTERS(field)
    return value


def check_json(value: Any, field: str = "body") -> Any:
    """Walk a parsed JSON value without recursion: depth, and every key and string."""
    most = json_max_depth()
    stack: list[tuple[Any, str, int]] = [(value, field, 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, path)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > most:
            raise JSON_TOO_DEEP(most=most)
        if isinstance(item, dict):
            for key, child in item.items():
                check_text(key, path)
                stack.append((child, key if path == "body" else f"{path}.{key}", depth + 1))
        else:
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
    return value


def parse_json(body: bytes) -> Any:
    """Parse a JSON body within the limits; ``ValueError`` for what is not JSON at all."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise JSON_TOO_DEEP(most=json_max_depth()) from None
    return check_json(value)


DATE_WINDOW: dict[str, Any] = {
    "earliest": DATE_EARLIEST.isoformat(),
    "latest": DATE_LATEST.isoformat(),
}


def in_date_window(day: dt.date) -> bool:
    return DATE_EARLIEST <= day <= DATE_LATEST


def check_date(day: dt.date, field: str | None = None) -> dt.date:
    if not in_date_window(day):
        raise DATE_OUT_OF_RANGE(
            field, earliest=DATE_WINDOW["earliest"], latest=DATE_WINDOW["latest"]
        )
    return day


def date_problem(field: str) -> Problem:
    return DATE_OUT_OF_RANGE.problem(
        field, earliest=DATE_WINDOW["earliest"], latest=DATE_WINDOW["latest"]
    )


def _date_in_window(day: dt.date) -> dt.date:
    if not in_date_window(day):
        raise PydanticCustomError(
            "date_out_of_range", "the date must lie between {earliest} and {latest}", DATE_WINDOW
        )
    return day


def _moment_in_window(moment: dt.datetime) -> dt.datetime:
    _date_in_window(moment.date())
    return moment


# The date and the time of every API schema that takes one in: the window of ``check_date``.
Day = Annotated[dt.date, AfterValidator(_date_in_window)]
Moment = Annotated[dt.datetime, AfterValidator(_moment_in_window)]


class LimitedUploadHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: counts the bytes of a multipart body as they stream
    and stops the upload past ``ACCORD_MAX_REQUEST_BYTES`` (chunked bodies declare no size)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = max_request_bytes()
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.limit:
            raise too_large(self.limit)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise too_large(self.limit)
        return raw_data

    def file_complete(self, file_size):
        return None


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_json(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    return content_type == "application/json" or content_type.endswith("+json")


def guard(request: HttpRequest) -> None:
    """Raise the declared error for the first limit ``request`` breaks."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_request_bytes():
        raise too_large(max_request_bytes())
    for key, values in request.GET.lists():
        check_text(key, key)
        for value in values:
            check_text(value, key)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    try:
        _guard_body(request)
    except RequestDataTooBig:
        raise too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) from None


def _guard_body(request: HttpRequest) -> None:
    if (request.content_type or "") in _FORM_TYPES:
        for key, values in request.POST.lists():
            check_text(key, key)
            for value in values:
                check_text(value, key)
        for key, uploads in request.FILES.lists():
            for upload in uploads:
                check_text(getattr(upload, "name", "") or "", key)
    elif _is_json(request) and request.body:
        try:
            parse_json(request.body)
        except AccordError:
            raise
        except ValueError:
            return  # not JSON at all: the view's own parser answers core.malformed_json


class InputGuardMiddleware:
    """Runs ``guard`` on every request, before sessions, CSRF and the views read it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            guard(request)
        except AccordError as error:
            return error_response(request, error)
        return self.get_response(request)
