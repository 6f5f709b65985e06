"""The holiday schedule as data: next year's State Council schedule is entered day by day."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accord.core import audit
from accord.mediation import errors
from accord.mediation.models import CalendarDay


@transaction.atomic
def set_calendar_day(
    day: dt.date, *, is_workday: bool, name: str = "", source: str = ""
) -> CalendarDay:
    """Record one day of a published schedule (a holiday, or a swapped working weekend day)."""
    if not isinstance(day, dt.date):
        raise errors.CALENDAR_DAY_INVALID()
    row, created = CalendarDay.objects.update_or_create(
        day=day, defaults={"is_workday": is_workday, "name": name[:60], "source": source[:200]}
    )
    audit.record(
        "mediation.calendar.set",
        row,
        object_type="mediation.calendarday",
        object_id=day.isoformat(),
        label=f"{day} {'workday' if is_workday else 'holiday'}",
        changes={"is_workday": [None if created else "?", is_workday]},
    )
    return row
