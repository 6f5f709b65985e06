"""Background tasks of core (DEP 14 task API; the backend is chosen in settings)."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_events() -> int:
    from accord.core.events import deliver_pending

    return deliver_pending()


@task()
def send_sms(message_id: int) -> str:
    from accord.core.notifications import dispatch_sms

    return dispatch_sms(message_id)
