"""Periodic work for `accord serve`: each app registers small checks that enqueue tasks when due.

A check runs in the serve process every ``seconds``; it should only look (a cheap query) and
enqueue a task, never do the work itself. Apps register in ``AppConfig.ready()``, so core
stays ignorant of the apps above it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections

log = logging.getLogger(__name__)


@dataclass
class Periodic:
    name: str
    seconds: float
    check: Callable[[], None]
    last_run: float = field(default=float("-inf"))


_periodic: dict[str, Periodic] = {}


def every(seconds: float, name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def register(check: Callable[[], None]) -> Callable[[], None]:
        _periodic[name] = Periodic(name, seconds, check)
        return check

    return register


def registered() -> list[Periodic]:
    return list(_periodic.values())


def run_due(now: float | None = None) -> list[str]:
    """Run the checks whose time has come; a failing check is logged and retried next time."""
    now = time.monotonic() if now is None else now
    ran = []
    for item in _periodic.values():
        if now - item.last_run < item.seconds:
            continue
        item.last_run = now
        try:
            item.check()
            ran.append(item.name)
        except Exception:
            log.exception("periodic check %s failed", item.name)
        finally:
            close_old_connections()
    return ran
