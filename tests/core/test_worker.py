"""The real task worker (django-tasks database backend, `accord db_worker`) delivers the outbox."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection, transaction

from accord.core.models import EventDelivery, Notification
from accord.core.notifications import request_notification


def _worker_env() -> dict:
    env = dict(os.environ)
    db = connection.settings_dict
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    env["ACCORD_VAR_DIR"] = str(settings.VAR_DIR)
    return env


@pytest.mark.django_db(transaction=True)
def test_worker_process_delivers_a_notification_exactly_once(make_user):
    user = make_user("bureau_officer")
    with transaction.atomic():
        request_notification(user, "合同待签署", "请签署劳动合同")
    # The commit enqueued a delivery task; a real worker process runs it.
    for _ in range(2):  # a second run (e.g. the periodic sweep) must not deliver again
        subprocess.run(
            [sys.executable, "-m", "accord", "db_worker", "--batch", "--no-startup-delay"],
            env=_worker_env(),
            check=True,
            timeout=120,
            capture_output=True,
        )
    assert Notification.objects.filter(recipient=user, title="合同待签署").count() == 1
    assert EventDelivery.objects.get(subscriber="core.inbox").status == "done"
