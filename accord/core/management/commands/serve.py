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


class Command(BaseCommand):
    help = "Serve Accord (gunicorn) with its task worker and the periodic checks, in one command."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2"))
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
            worker_cmd = [*accord, "db_worker", "--queue-name", "default"]
        web_cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "accord.wsgi:application",
            "--bind",
            f"{opts['host']}:{opts['port']}",
            "--workers",
            str(opts["workers"]),
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
        procs = [subprocess.Popen([*accord, "ledger", "sequencer"])]
        procs.append(subprocess.Popen(web_cmd))
        procs += [subprocess.Popen(worker_cmd) for _ in range(task_workers)]
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
                if any(p.poll() is not None for p in procs):
                    self.stderr.write("a child process stopped; shutting down")
                    break
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
