"""Background tasks of the integrations app (DEP 14 task API)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_webhooks() -> int:
    from accord.integrations.sending import send_due

    return send_due()
