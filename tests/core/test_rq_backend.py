"""The scale-out task backend: Redis + RQ workers deliver the outbox like the database worker."""

import socket
import subprocess
import sys

import pytest
from django.db import transaction

from accord.core.management.commands.serve import RQ_JOB_CLASS
from accord.core.models import EventDelivery, Notification
from accord.core.notifications import request_notification
from tests.core.test_worker import _worker_env
from tests.support.workers import redis_url


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379 (CI has it)")
@pytest.mark.django_db(transaction=True)
def test_rq_worker_delivers_events(make_user):
    user = make_user("bureau_officer")
    with transaction.atomic():
        request_notification(user, "RQ 通知")
    env = {
        **_worker_env(),
        "ACCORD_TASK_BACKEND": "rq",
        "REDIS_URL": redis_url(),  # this xdist worker's own database
    }
    # The web process here uses the database backend; enqueue through RQ as a web process configured for it would.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "accord",
            "shell",
            "-c",
            "from accord.core.tasks import deliver_events; deliver_events.enqueue()",
        ],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "accord",
            "rqworker",
            "default",
            "--burst",
            "--job-class",
            RQ_JOB_CLASS,
        ],
        env=env,
        timeout=120,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert Notification.objects.filter(recipient=user, title="RQ 通知").count() == 1
    assert EventDelivery.objects.get(subscriber="core.inbox").status == "done"
