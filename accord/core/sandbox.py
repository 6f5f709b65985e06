"""Work on untrusted input in a child process with a deadline and a memory cap.

A parser fed a crafted file may loop for minutes or allocate gigabytes; in a web worker that
holds the worker (and, two at once, the whole site: issue #13). ``run_bounded`` forks a child
that inherits the loaded code, caps its address space, gives it ``seconds`` and kills it
after. The child touches no database connection and never returns through the parent's
cleanup (``multiprocessing`` ends a forked child with ``os._exit``), so the parent's
connections are left as they were. At most ``ACCORD_SANDBOX_SLOTS`` children run at once per
process; a request that finds none free within the deadline is told to come back.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings

from accord.core.errors import BUSY, FILE_TOO_COMPLEX, AccordError

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(getattr(settings, "ACCORD_SANDBOX_SLOTS", 2))
        return _slots


def _address_space() -> int:
    """The child's current virtual size in bytes (what RLIMIT_AS counts)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _child(fn: Callable[[Any], Any], payload: Any, conn, memory_bytes: int) -> None:
    try:
        limit = _address_space() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError):
        pass  # no /proc or no limit allowed: the deadline still holds
    try:
        conn.send(("ok", fn(payload)))
    except AccordError as error:
        conn.send(("error", error))
    except (MemoryError, RecursionError):
        conn.send(("budget", None))
    except Exception as exc:  # the parser's own failure on a damaged file
        conn.send(("failed", f"{type(exc).__name__}: {exc}"[:500]))
    finally:
        conn.close()


class SandboxFailed(Exception):
    """``fn`` raised something other than an ``AccordError`` in the child."""


def run_bounded(
    fn: Callable[[Any], Any], payload: Any, *, seconds: float, memory_bytes: int
) -> Any:
    """``fn(payload)`` in a child: its result, its ``AccordError``, or ``core.file_too_complex``
    when it runs past ``seconds``, past ``memory_bytes`` more memory, or dies."""
    slots = _semaphore()
    if not slots.acquire(timeout=seconds):
        busy = BUSY(retry_after=max(int(seconds), 1))
        busy.retry_after = max(int(seconds), 1)  # type: ignore[attr-defined]
        raise busy
    try:
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(fn, payload, send, memory_bytes))
        child.daemon = True
        child.start()
        send.close()
        try:
            outcome = receive.recv() if receive.poll(seconds) else ("timeout", None)
        except EOFError:  # the child died without a word (killed by the memory cap, a crash)
            outcome = ("died", None)
        finally:
            receive.close()
            if child.is_alive():
                child.kill()
            child.join()
    finally:
        slots.release()
    kind, value = outcome
    if kind == "ok":
        return value
    if kind == "error" and isinstance(value, AccordError):
        raise value
    if kind == "failed":
        raise SandboxFailed(value)
    raise FILE_TOO_COMPLEX()
