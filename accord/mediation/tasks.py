"""Periodic work of mediation: the Art. 14 sweep (warnings, expiry) and agreement reminders."""

from __future__ import annotations

from django_tasks import task

from accord.core import events, schedule
from accord.mediation import services


@task()
def mediation_clock() -> dict[str, int]:
    result = services.sweep()
    return {
        "warned": result.warned,
        "expired": result.expired,
        "reminded": services.remind_overdue(),
    }


def register() -> None:
    events.subscriber("envelope.completed", "mediation.agreement_signed")(
        services.on_envelope_completed
    )

    @schedule.every(3600, "mediation.clock")
    def clock_check() -> None:
        mediation_clock.enqueue()
