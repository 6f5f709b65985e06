"""The one error hierarchy of Accord.

Every error a user can cause carries a stable machine code (``identity.resident_id_invalid``),
a message in Chinese and in English, the field it concerns, and the HTTP status to answer
with. The API and the pages render it the same way (see ``accord.core.api`` and
``accord.core.middleware``). Raising one inside ``transaction.atomic()`` rolls back the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class Problem:
    """One problem with one field; an error may carry several (a form, an import row)."""

    code: str
    message_zh: str
    message_en: str
    field: str | None = None
    row: int | None = None
    column: str | None = None
    article: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class AccordError(Exception):
    """Base of every error a user can cause. Subclasses fix the HTTP status."""

    status = 400

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        field: str | None = None,
        *,
        problems: list[Problem] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.problems = problems or []
        self.extra = extra or {}

    def __reduce__(self):
        # Picklable (a sandboxed child sends its error back), whatever the subclass's __init__.
        return (_rebuild, (type(self), self.__dict__))

    @classmethod
    def from_problems(cls, problems: list[Problem], code: str | None = None) -> AccordError:
        """One error for many problems: the first problem names the error."""
        first = problems[0]
        return cls(
            code or first.code, first.message_zh, first.message_en, first.field, problems=problems
        )

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "field": self.field,
        }
        if self.problems:
            body["problems"] = [p.as_dict() for p in self.problems]
        body.update(self.extra)
        return body


def _rebuild(kind: type[AccordError], state: dict[str, Any]) -> AccordError:
    error = Exception.__new__(kind)
    Exception.__init__(error, f"{state.get('code')}: {state.get('message_en')}")
    error.__dict__.update(state)
    return error


class InvalidInput(AccordError):
    status = 422


class NotFound(AccordError):
    """Also what another enterprise's object looks like: never leak its existence."""

    status = 404
    MESSAGE_ZH = "未找到该对象，或您无权查看。"
    MESSAGE_EN = "Not found, or not yours to see."

    def __init__(self, code: str = "core.not_found", field: str | None = None) -> None:
        super().__init__(code, self.MESSAGE_ZH, self.MESSAGE_EN, field)


class PermissionDenied(AccordError):
    status = 403


def forbidden() -> AccordError:
    """The caller sees the object but its role may not do this to it."""
    return FORBIDDEN()


class AuthenticationRequired(AccordError):
    status = 401

    def __init__(self) -> None:
        zh, en = LOGIN_REQUIRED.messages()
        super().__init__(LOGIN_REQUIRED.code, zh, en)


class Conflict(AccordError):
    status = 409


class PayloadTooLarge(AccordError):
    """A request or an upload over its size limit; refused before it is read into memory."""

    status = 413


class MethodNotAllowed(AccordError):
    status = 405


class Unavailable(AccordError):
    """Busy for now: ``retry_after`` says when to come back."""

    status = 503


class ServerError(AccordError):
    """Not a user's error: what an API client gets instead of an HTML page when we fail."""

    status = 500


class RateLimited(AccordError):
    """Too many attempts; ``retry_after`` seconds until the next one is counted."""

    status = 429
    MESSAGE_ZH = "操作过于频繁，请在 {retry_after} 秒后重试。"
    MESSAGE_EN = "Too many attempts; try again in {retry_after} seconds."

    def __init__(self, code: str, retry_after: int) -> None:
        super().__init__(
            code,
            self.MESSAGE_ZH.format(retry_after=retry_after),
            self.MESSAGE_EN.format(retry_after=retry_after),
            extra={"retry_after": retry_after},
        )
        self.retry_after = retry_after


@dataclass
class ProblemList:
    """Collects problems and raises them all at once (forms, importers)."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, error_class: type[AccordError] = InvalidInput) -> None:
        if self.problems:
            raise error_class.from_problems(self.problems)


# ---- declared error codes ------------------------------------------------------------------
#
# Each app declares its codes once, in ``<app>/errors.py``, and raises them by name:
#
#     from accord.core.errors import catalogue
#     E = catalogue("envelopes")
#     NOT_A_PARTY = E.forbidden("envelope.not_a_party", "您不是该文件的签署方。",
#                               "You are not a signing party of this document.")
#     ...
#     raise NOT_A_PARTY()                 # or NOT_A_PARTY(field="party"), NOT_A_PARTY.problem(row=3)
#
# Messages may hold ``{name}`` placeholders filled from keyword arguments. A code declared twice
# with another message or status is refused when the second module is imported, so the same code
# can never carry two messages or two statuses.


@dataclass(frozen=True)
class ErrorCode:
    """One stable error code with its messages and the kind of error (hence the HTTP status)."""

    code: str
    message_zh: str
    message_en: str
    kind: type[AccordError] = InvalidInput
    field: str | None = None
    app: str = ""

    registry: ClassVar[dict[str, ErrorCode]] = {}

    @property
    def status(self) -> int:
        return self.kind.status

    def messages(self, **params: Any) -> tuple[str, str]:
        if not params:
            return self.message_zh, self.message_en
        return self.message_zh.format(**params), self.message_en.format(**params)

    def __call__(
        self,
        field: str | None = None,
        *,
        problems: list[Problem] | None = None,
        extra: dict[str, Any] | None = None,
        **params: Any,
    ) -> AccordError:
        zh, en = self.messages(**params)
        error = AccordError.__new__(self.kind)
        AccordError.__init__(
            error, self.code, zh, en, field or self.field, problems=problems, extra=extra
        )
        return error

    def problem(
        self,
        field: str | None = None,
        *,
        row: int | None = None,
        column: str | None = None,
        article: str | None = None,
        **params: Any,
    ) -> Problem:
        zh, en = self.messages(**params)
        return Problem(self.code, zh, en, field or self.field, row, column, article)


def _register(error: ErrorCode) -> ErrorCode:
    known = ErrorCode.registry.get(error.code)
    if known is not None and (
        (known.message_zh, known.message_en, known.status)
        != (error.message_zh, error.message_en, error.status)
    ):
        raise ValueError(
            f"error code {error.code} declared twice with different messages or status "
            f"({known.app} and {error.app})"
        )
    ErrorCode.registry[error.code] = error
    return error


@dataclass(frozen=True)
class Catalogue:
    """The error codes of one app; see the comment above."""

    app: str

    def declare(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        kind: type[AccordError] = InvalidInput,
        field: str | None = None,
    ) -> ErrorCode:
        return _register(ErrorCode(code, message_zh, message_en, kind, field, self.app))

    def invalid(self, code: str, zh: str, en: str, field: str | None = None) -> ErrorCode:
        return self.declare(code, zh, en, InvalidInput, field)

    def conflict(self, code: str, zh: str, en: str, field: str | None = None) -> ErrorCode:
        return self.declare(code, zh, en, Conflict, field)

    def forbidden(self, code: str, zh: str, en: str, field: str | None = None) -> ErrorCode:
        return self.declare(code, zh, en, PermissionDenied, field)

    def not_found(self, code: str, field: str | None = None) -> ErrorCode:
        return self.declare(code, NotFound.MESSAGE_ZH, NotFound.MESSAGE_EN, NotFound, field)

    def rate_limited(self, code: str) -> ErrorCode:
        """A rate limit or lock-out; raised by ``core.ratelimit`` with its ``retry_after``."""
        return self.declare(code, RateLimited.MESSAGE_ZH, RateLimited.MESSAGE_EN, RateLimited)


def catalogue(app: str) -> Catalogue:
    return Catalogue(app)


# ---- the codes of core ----------------------------------------------------------------------
#
# Shared by every app: the request as a whole, one field of it, and who may make it.

E = catalogue("core")

LOGIN_REQUIRED = E.declare(
    "auth.required", "请先登录。", "Please log in first.", AuthenticationRequired
)
FORBIDDEN = E.forbidden("auth.forbidden", "您的角色无权执行此操作。", "Your role may not do this.")
CSRF_FAILED = E.forbidden(
    "auth.csrf_failed",
    "请求缺少有效的 CSRF 令牌，请刷新页面后重试。",
    "The request lacks a valid CSRF token; reload the page and try again.",
)
# Ninja's own HTTP errors pass through with their status (the handler sets it on the instance).
HTTP_ERROR = E.declare(
    "core.http_error",
    "请求无法处理：{detail}",
    "The request cannot be handled: {detail}",
    AccordError,
)
NOT_FOUND = E.not_found("core.not_found")
MALFORMED_JSON = E.declare(
    "core.malformed_json",
    "请求内容不是有效的 JSON。",
    "The request body is not valid JSON.",
    AccordError,
)
INVALID_REQUEST = E.invalid("core.invalid_request", "请求无效。", "Invalid request.")
INVALID_VALUE = E.invalid(
    "core.invalid_value", "取值无效：{detail_zh}", "Invalid value: {detail_en}"
)
INVALID_NUMBER = E.invalid("core.invalid_number", "应为整数。", "A whole number is expected.")
# A form field's own message, already in the page's language (Django forms translate it).
FORM_FIELD_INVALID = E.invalid("core.invalid", "{detail}", "{detail}")
INVALID_FORM = E.invalid(
    "core.invalid_form",
    "表单有误，请检查标出的字段。",
    "The form has errors; check the marked fields.",
)
REQUIRED = E.invalid("core.required", "此项为必填项。", "This field is required.")
INVALID_CHOICE = E.invalid(
    "core.invalid_choice", "取值不在可选范围内。", "Not one of the allowed values."
)
INVALID_DATE = E.invalid(
    "core.invalid_date", "日期格式应为 YYYY-MM-DD。", "Dates are written YYYY-MM-DD."
)
INVALID_FILTER = E.invalid("core.invalid_filter", "筛选条件无效。", "Invalid filter.")
INVALID_PAGE = E.invalid(
    "core.invalid_page",
    "页码须为 ≥ 1 的整数，每页 1–{max_size} 条。",
    "The page must be a whole number ≥ 1 and the page size 1–{max_size}.",
    "page",
)
FIELD_NOT_EDITABLE = E.invalid(
    "core.field_not_editable", "该字段不可修改。", "This field cannot be changed."
)
RATE_LIMITED = E.rate_limited("auth.rate_limited")
LOCKED = E.rate_limited("auth.locked")
TOO_LONG = E.invalid(
    "core.too_long", "不能超过 {max_length} 个字符。", "At most {max_length} characters."
)

# ---- untrusted input (accord.core.inputs): every request passes these limits -------------------
REQUEST_TOO_LARGE = E.declare(
    "core.request_too_large",
    "请求内容过大，上限为 {limit_mb} MB。",
    "The request is too large; the limit is {limit_mb} MB.",
    PayloadTooLarge,
)
INVALID_CHARACTERS = E.invalid(
    "core.invalid_characters",
    "内容含有不允许的字符（空字符、控制字符或无效的 Unicode）。",
    "The text holds characters that are not allowed (NUL, control characters or invalid Unicode).",
)
INVISIBLE_CHARACTERS = E.invalid(
    "core.invisible_characters",
    "不能含有控制字符、不可见字符或文字方向控制符（它们会改变合同上显示的内容）。",
    "Control, invisible and text-direction characters are not allowed (they change what a contract shows).",
)
JSON_TOO_DEEP = E.declare(
    "core.json_too_deep",
    "JSON 嵌套层数过多（最多 {most} 层）。",
    "The JSON is nested too deeply (at most {most} levels).",
    AccordError,
    "body",
)
DATE_OUT_OF_RANGE = E.invalid(
    "core.date_out_of_range",
    "日期须在 {earliest} 至 {latest} 之间。",
    "The date must lie between {earliest} and {latest}.",
)
FILE_TOO_COMPLEX = E.invalid(
    "core.file_too_complex",
    "文件结构过于复杂，无法在限定的时间和内存内检查，请换一个文件。",
    "The file is too complex to check within the time and memory allowed; try another file.",
    "file",
)
SPREADSHEET_TOO_LARGE = E.invalid(
    "core.spreadsheet_too_large",
    "表格展开后过大（上限 {limit_mb} MB、{rows} 行、{columns} 列），请拆分后再上传。",
    "The spreadsheet is too large once unpacked (at most {limit_mb} MB, {rows} rows, {columns} columns); split it and upload again.",
    "file",
)
METHOD_NOT_ALLOWED = E.declare(
    "core.method_not_allowed",
    "不支持此请求方法。",
    "This request method is not allowed here.",
    MethodNotAllowed,
)
SERVER_ERROR = E.declare(
    "core.server_error",
    "服务器内部错误，已记录，请稍后重试。",
    "Internal server error; it has been logged. Please try again later.",
    ServerError,
)
BUSY = E.declare(
    "core.busy",
    "系统繁忙，请在 {retry_after} 秒后重试。",
    "The system is busy; try again in {retry_after} seconds.",
    Unavailable,
)
