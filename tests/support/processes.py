"""Start a helper process and wait until it is ready; wait on conditions, never on time.

A loaded 2-core machine can take many seconds to start Django, so readiness is a condition the
process itself announces (the line it prints once its socket is bound), never a fixed delay.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest

T = TypeVar("T")

# Generous: a deadline only turns a hang into a failure, it never decides a result.
READY_DEADLINE = 180.0


def wait_until(condition: Callable[[], T], what: str, deadline: float = READY_DEADLINE) -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` at the deadline."""
    end = time.monotonic() + deadline
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def accord_process(
    *args: str, ready: str, env: dict[str, str] | None = None
) -> Iterator[re.Match[str]]:
    """Run ``python -m accord ARGS``; yield the match of ``ready`` on the first line showing it.

    ``env``: the process's environment (default: this one's).
    Fails at once if the process exits before it is ready, with what it printed.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    found: list[re.Match[str]] = []
    announced = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if not found and (match := re.search(ready, line)):
                found.append(match)
                announced.set()
        announced.set()  # the process closed its output: it has exited

    threading.Thread(target=read, daemon=True).start()
    try:
        if not announced.wait(READY_DEADLINE) or not found:
            proc.kill()
            pytest.fail(
                f"accord {' '.join(args)} did not become ready (exit code {proc.poll()}): "
                + "".join(lines[-20:])
            )
        yield found[0]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
