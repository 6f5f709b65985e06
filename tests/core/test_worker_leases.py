"""A task worker killed mid-task (``kill -9``) does not leave its task RUNNING for ever: its
heartbeat lease runs out and the next worker gives the task back to the queue and runs it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accord.core import workers
from accord.core.models import WorkerLease
from tests.core.test_worker import _worker_env
from tests.support import processes

LEASE = 2.0
WORKER = [sys.executable, "-m", "accord", "db_worker"]


@task()
def wait_for_release(flag: str) -> str:
    """Says it started, then runs until the test lets it finish."""
    path = Path(flag)
    path.with_suffix(".started").write_text("started")
    while not path.exists():
        time.sleep(0.05)
    return "finished"


def start_worker(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [*WORKER, "--interval", "0.1", "--no-startup-delay", "--no-reload"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def fresh(condition):
    def look():
        connection.close()  # the workers are other processes: a fresh snapshot each look
        return condition()

    return look


@pytest.mark.django_db(transaction=True)
def test_kill_9_of_a_worker_mid_task_then_the_next_worker_runs_the_task(tmp_path):
    flag = tmp_path / "release"
    result = wait_for_release.enqueue(str(flag))
    env = _worker_env() | {"ACCORD_WORKER_LEASE_SECONDS": str(LEASE)}
    log = open(tmp_path / "workers.log", "w")
    first = start_worker(env, log)
    try:
        processes.wait_until(
            lambda: flag.with_suffix(".started").exists(), "the first worker running the task"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.RUNNING  # what django-tasks alone leaves behind
    dead = row.worker_ids[-1]
    flag.write_text("go")
    second = start_worker(env, log)
    try:
        processes.wait_until(
            fresh(lambda: DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"),
            "the second worker running the dead worker's task",
            deadline=240,
        )
    finally:
        second.terminate()
        second.wait(30)
        log.close()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.return_value == "finished"
    assert len(row.worker_ids) == 2 and row.worker_ids[0] == dead != row.worker_ids[1]
    # the stopped worker handed its lease back; the killed one's ran out
    assert not WorkerLease.objects.filter(worker_id=row.worker_ids[1]).exists()


def _running(worker_ids: list[str], started: float) -> DBTaskResult:
    result = wait_for_release.enqueue("/nonexistent")
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        worker_ids=worker_ids,
        started_at=timezone.now() - timedelta(seconds=started),
    )
    return DBTaskResult.objects.get(pk=result.id)


@pytest.mark.django_db
@override_settings(ACCORD_WORKER_LEASE_SECONDS=30, ACCORD_WORKER_MAX_ATTEMPTS=3)
def test_reap_requeues_only_tasks_of_dead_workers_and_fails_a_task_that_killed_three():
    workers.beat("alive")
    alive = _running(["alive"], started=120)  # its worker beats: still running
    young = _running(["gone"], started=5)  # claimed just now: its worker may not have beaten
    dead = _running(["gone"], started=120)
    legacy = _running([], started=120)
    poison = _running(["a", "b", "c"], started=120)
    assert workers.reap() == {"requeued": 2, "failed": 1}
    status = {
        r.pk: r.status
        for r in DBTaskResult.objects.filter(
            pk__in=[alive.pk, young.pk, dead.pk, legacy.pk, poison.pk]
        )
    }
    assert status[alive.pk] == status[young.pk] == TaskResultStatus.RUNNING
    assert status[dead.pk] == status[legacy.pk] == TaskResultStatus.READY
    assert status[poison.pk] == TaskResultStatus.FAILED
    assert DBTaskResult.objects.get(pk=poison.pk).exception_class_path == workers.LOST
    assert workers.reap() == {"requeued": 0, "failed": 0}
