"""Task workers' heartbeat leases, and the tasks of dead workers given back to the queue.

django-tasks' database worker marks a task RUNNING when it claims it and SUCCESSFUL or FAILED
when it ends; a worker killed in between (``kill -9``, out of memory, a lost machine) leaves
the row RUNNING for ever and nothing ever runs it again. Each ``accord db_worker`` therefore
holds a lease (``WorkerLease``) that a heartbeat thread renews every third of
``ACCORD_WORKER_LEASE_SECONDS``; at start-up and on every beat, a worker looks for RUNNING
tasks of the database backend whose worker's lease ran out (or who never had one) and gives
them back to the queue (READY), or fails them after ``ACCORD_WORKER_MAX_ATTEMPTS`` workers
died running them (a task that kills its worker must not kill every worker in turn).

Every Accord task may run again (at-least-once): the outbox, batch chunks and seals are
leased or idempotent, so a task re-run after its worker died does nothing twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accord.core.models import WorkerLease

log = logging.getLogger(__name__)
LOST = "accord.core.workers.WorkerLost"


class WorkerLost(Exception):
    """The worker running the task died (its heartbeat lease ran out)."""


def lease_seconds() -> float:
    return float(settings.ACCORD_WORKER_LEASE_SECONDS)


def beat(worker_id: str) -> None:
    """Take or renew this worker's lease."""
    now = timezone.now()
    if not WorkerLease.objects.filter(worker_id=worker_id).update(beat_at=now):
        WorkerLease.objects.create(
            worker_id=worker_id, pid=os.getpid(), host=socket.gethostname()[:255], beat_at=now
        )


def release(worker_id: str) -> None:
    WorkerLease.objects.filter(worker_id=worker_id).delete()


def reap(limit: int = 100) -> dict[str, int]:
    """Give the RUNNING tasks of dead workers back to the queue (or fail them, see above)."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds())
    live = set(WorkerLease.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True))
    # Started before the cutoff: a live worker has beaten since it claimed the task.
    stale = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).only("id", "worker_ids", "started_at")
    counts = {"requeued": 0, "failed": 0}
    for result in stale[:limit]:
        if result.worker_ids and result.worker_ids[-1] in live:
            continue
        same = DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
        )
        if len(result.worker_ids) >= settings.ACCORD_WORKER_MAX_ATTEMPTS:
            changed = same.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=LOST,
                traceback=f"{LOST}: {len(result.worker_ids)} workers died running this task\n",
            )
            counts["failed"] += changed
        else:
            changed = same.update(status=TaskResultStatus.READY, started_at=None)
            counts["requeued"] += changed
        if changed:
            log.warning(
                "task %s of dead worker %s %s",
                result.pk,
                result.worker_ids[-1] if result.worker_ids else "?",
                "failed"
                if len(result.worker_ids) >= settings.ACCORD_WORKER_MAX_ATTEMPTS
                else "requeued",
            )
    WorkerLease.objects.filter(beat_at__lt=now - timedelta(seconds=10 * lease_seconds())).delete()
    return counts


class Heartbeat(threading.Thread):
    """Renews the worker's lease and reaps dead workers' tasks, every third of the lease."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(lease_seconds() / 3):
                self.once()
        finally:
            connection.close()

    def once(self) -> None:
        close_old_connections()
        try:
            beat(self.worker_id)
            reap()
        except DatabaseError:  # a locked SQLite file, a dropped connection: next beat
            log.warning("worker heartbeat failed", exc_info=True)
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
