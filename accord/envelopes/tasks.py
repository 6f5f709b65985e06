"""Periodic work of envelopes: expiry at the deadline and daily reminders."""

from __future__ import annotations

from django_tasks import task

from accord.core import events, schedule
from accord.envelopes import archive, retention, services


@task()
def expire_and_remind() -> dict[str, int]:
    return {"expired": services.expire_due(), "reminded": services.remind_due()}


@task()
def daily_housekeeping() -> dict[str, int]:
    """Old archive exports (7 days) and never-sent drafts (90 days) go; signed documents stay
    (LCL Art. 50, retention.py)."""
    return {
        "exports": archive.purge_old_exports(7) or 0,
        "drafts": retention.purge_drafts(90) or 0,
        "archives_renewed": services.renew_archives_due(),
    }


def register() -> None:
    events.subscriber("envelope.party_ready", "envelopes.notify_party")(services.notify_party)
    events.subscriber("envelope.completed", "envelopes.notify_completion")(
        services.notify_completion
    )
    events.subscriber("envelope.completed", "envelopes.archive")(services.archive_completed)

    @schedule.every(300, "envelopes.expire_and_remind")
    def due_check() -> None:
        expire_and_remind.enqueue()

    @schedule.every(86_400, "envelopes.daily_housekeeping")
    def housekeeping_check() -> None:
        daily_housekeeping.enqueue()
