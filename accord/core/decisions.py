"""A policy's answer to "may it be done?", shared by every app's ``policy.py``
(docs/architecture.md, "Where each kind of rule lives"): services call ``enforce()``, pages and
the API draw their buttons and refusals from the same object, so they cannot differ."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accord.core.errors import ErrorCode


@dataclass(frozen=True)
class Decision:
    """May it be done? If not, ``error`` (with ``params`` for its message) says why."""

    allowed: bool
    error: ErrorCode | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def code(self) -> str:
        return self.error.code if self.error else ""

    def enforce(self) -> None:
        if not self.allowed and self.error is not None:
            raise self.error(**self.params)


ALLOWED = Decision(True)


def refuse(error: ErrorCode, **params: Any) -> Decision:
    """A refusal, saying why."""
    return Decision(False, error, params)
