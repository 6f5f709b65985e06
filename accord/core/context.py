"""Who is acting, from where: set per request (or per command/task) and read by the audit log."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    label: str = "system"
    role: str = "system"
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""


SYSTEM = Actor()
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("accord_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor) -> contextvars.Token:
    return _current.set(actor)


def reset_actor(token: contextvars.Token) -> None:
    _current.reset(token)


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


# Set for each request by core.middleware: a list holding one flag, so that a service deep
# below can say "this answer holds personal data in full" without seeing the request.
_private: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "accord_private_response", default=None
)


def begin_response() -> contextvars.Token:
    return _private.set([False])


def end_response(token: contextvars.Token) -> bool:
    """Whether the answer being made was marked private; resets the flag."""
    flag = _private.get()
    _private.reset(token)
    return bool(flag and flag[0])


def mark_private() -> None:
    """The answer being made shows personal data in full: no cache may keep it."""
    flag = _private.get()
    if flag is not None:
        flag[0] = True
