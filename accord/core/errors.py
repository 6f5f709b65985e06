"""The one error hierarchy of Accord.

Every error a user can cause carries a stable machine code (``identity.resident_id_invalid``),
a message in Chinese and in English, the field it concerns, and the HTTP status to answer
with. The API and the pages render it the same way (see ``accord.core.api`` and
``accord.core.middleware``). Raising one inside ``transaction.atomic()`` rolls back the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


class InvalidInput(AccordError):
    status = 422


class NotFound(AccordError):
    """Also what another enterprise's object looks like: never leak its existence."""

    status = 404

    def __init__(self, code: str = "core.not_found", field: str | None = None) -> None:
        super().__init__(
            code, "未找到该对象，或您无权查看。", "Not found, or not yours to see.", field
        )


class PermissionDenied(AccordError):
    status = 403


def forbidden() -> PermissionDenied:
    """The caller sees the object but its role may not do this to it."""
    return PermissionDenied(
        "auth.forbidden", "您的角色无权执行此操作。", "Your role may not do this."
    )


class AuthenticationRequired(AccordError):
    status = 401

    def __init__(self) -> None:
        super().__init__("auth.required", "请先登录。", "Please log in first.")


class Conflict(AccordError):
    status = 409


class RateLimited(AccordError):
    status = 429

    def __init__(self, code: str, retry_after: int) -> None:
        super().__init__(
            code,
            f"操作过于频繁，请在 {retry_after} 秒后重试。",
            f"Too many attempts; try again in {retry_after} seconds.",
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
