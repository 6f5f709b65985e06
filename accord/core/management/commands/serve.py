"""``accord serve``: the web server and the task worker together; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from accord.core import schedule

# RQ workers must run django-tasks-rq's job class, or they cannot call DEP 14 tasks.
RQ_JOB_CLASS = "django_tasks_rq.backend.Job"


class Restarts:
    """When to start a dead child again: at once the first time, then after a pause that
    doubles (up to a minute) while it keeps dying within a minute of its start."""

    def __init__(self) -> None:
        self.pause = 0.0
        self.noticed: float | None = None
        self.started = time.monotonic()

    def due(self) -> bool:
        now = time.monotonic()
        if self.noticed is None:
            self.noticed = now
            lived = now - self.started
            self.pause = 0.0 if lived > 60 else min(max(self.pause * 2, 1.0), 60.0)
        if now - self.noticed < self.pause:
            return False
        self.noticed, self.started = None, now
        return True


class Command(BaseCommand):
    help = "Serve Accord (gunicorn) with its task worker and the periodic checks, in one command."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("ACCORD_WEB_THREADS", "8")),
            help="threads per web worker (gunicorn gthread): an idle or slow connection holds "
            "one thread for a few seconds at most, never a whole worker",
        )
        parser.add_argument(
            "--task-workers",
            type=int,
            default=None,
            help="task worker processes (default: one per CPU on PostgreSQL, one on SQLite, "
            "which has a single writer)",
        )

    def handle(self, *args, **opts):
        accord = [sys.executable, "-m", "accord"]
        if settings.ACCORD_TASK_BACKEND == "rq":
            worker_cmd = [
                *accord,
                "rqworker",
                "default",
                "--with-scheduler",
                "--job-class",
                RQ_JOB_CLASS,
            ]
        else:
            # No autoreloader (it is django-tasks' default under DEBUG): its parent process is
            # not the worker, so a worker killed through it left its child running — an orphan
            # that went on claiming tasks. Serve restarts a dead worker itself.
            worker_cmd = [*accord, "db_worker", "--queue-name", "default", "--no-reload"]
        web_cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "accord.wsgi:application",
            "--bind",
            f"{opts['host']}:{opts['port']}",
            "--workers",
            str(opts["workers"]),
            # Threaded workers: a browser's idle (pre-)connection waits in the worker's poller,
            # not in a sync worker's only request slot (one such socket stalled a sync worker
            # until gunicorn killed it: WORKER TIMEOUT).
            "--worker-class",
            "gthread",
            "--threads",
            str(opts["threads"]),
            "--timeout",
            "60",
            "--keep-alive",
            "5",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ]
        from django.db import connection

        task_workers = opts["task_workers"] or (
            1 if connection.vendor == "sqlite" else max(1, os.cpu_count() or 1)
        )
        # The evidence ledger's sequencer: web processes and task workers hand it their entries,
        # so appends from all of them are grouped into shared transactions (docs/ledger.md).
        commands = [[*accord, "ledger", "sequencer"], web_cmd] + [worker_cmd] * task_workers
        procs = [subprocess.Popen(command) for command in commands]
        restarts = [Restarts() for _ in commands]
        self.stdout.write(
            self.style.SUCCESS(
                f"Accord is serving on http://{opts['host']}:{opts['port']}/ with its task worker. Ctrl-C stops both."
            )
        )
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                # A child that dies is started again (after a pause that grows while it keeps
                # dying), not the end of everything: the others go on serving (issue #13).
                for i, proc in enumerate(procs):
                    if proc.poll() is None or not restarts[i].due():
                        continue
                    self.stderr.write(
                        f"child {proc.pid} ({' '.join(commands[i][2:4])}) exited with "
                        f"{proc.returncode}; starting it again"
                    )
                    procs[i] = subprocess.Popen(commands[i])
                    self.stdout.write(f"restarted child {procs[i].pid}")
                    self.stdout.flush()
                # Periodic checks of the apps (outbox sweep, witness cosigning, daily digests).
                schedule.run_due()
                time.sleep(0.5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for p in procs:
                try:
                    p.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    p.kill()
