"""What every mediation service shares: the case number, locking, the calendar, and the one way a
case changes state (saved, audited, published)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.utils import timezone

from accord.core import audit
from accord.core.events import publish
from accord.mediation import clock
from accord.mediation.models import CalendarDay, Case

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_case_number(today: dt.date | None = None) -> str:
    """A case number to read out on the phone: ``TJ20261204-7K3Q9D``."""
    day = today or timezone.localdate()
    return f"TJ{day:%Y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def calendar() -> clock.Calendar:
    """The State Council schedule as shipped, with the days an officer has added."""
    return clock.Calendar(dict(CalendarDay.objects.values_list("day", "is_workday")))


def locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("organisation", "street", "enterprise__industry", "mediator")
        .get(pk=case.pk)
    )


def payload(case: Case, **extra: Any) -> dict[str, Any]:
    """An event about a case: by street and industry, never a name or a phone."""
    return {
        "case": str(case.public_id),
        "number": case.number,
        "organisation": str(case.organisation.public_id),
        "organisation_kind": case.organisation.kind,
        "street": case.street.code if case.street_id else "",
        "industry": case.enterprise.industry.code
        if case.enterprise_id and case.enterprise.industry_id
        else "",
        "status": case.status,
        "urgent": case.urgent,
        "collective": case.collective,
        "claimed_fen": case.claimed_fen,
        **extra,
    }


def move(case: Case, status: str, fields: list[str], action: str, **changes: Any) -> Case:
    """A case's state change: saved, audited and published (``mediation.case.<action>``)."""
    before = case.status
    case.status = status
    case.save(update_fields=["status", *fields, "updated_at"])
    audit.record(
        f"mediation.case.{action}",
        case,
        enterprise_id=case.enterprise_id,
        changes={"status": [before, status], **changes},
    )
    publish(f"mediation.case.{action}", payload(case))
    return case
