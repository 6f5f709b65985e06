"""The public time-limit self-check (issue #14, item 9): the Art. 27 limitation and the Art. 14
mediation period for a claim, on the dates a worker gives. One home for the page and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from accord.core.errors import ProblemList
from accord.mediation import clock, errors
from accord.mediation.models import ClaimCategory
from accord.mediation.services.base import calendar


@dataclass
class TimeLimits:
    limitation_status: str
    arbitration_deadline: dt.date | None
    mediation_deadline: dt.date | None
    basis: list[clock.Basis]

    def as_dict(self) -> dict:
        return {
            "limitation_status": self.limitation_status,
            "arbitration_deadline": self.arbitration_deadline,
            "mediation_deadline": self.mediation_deadline,
            "basis": [b.as_dict() for b in self.basis],
        }


def time_limits(
    *,
    claim: str,
    knew_on: dt.date | None = None,
    employment_ended_on: dt.date | None = None,
    received_on: dt.date | None = None,
    interruptions: list[dt.date] | None = None,
    as_of: dt.date | None = None,
) -> TimeLimits:
    as_of = as_of or timezone.localdate()
    interruptions = list(interruptions or [])
    problems = ProblemList()
    if claim not in ClaimCategory.values:
        problems.add(errors.CLAIM_UNKNOWN.problem("claim"))
    for name, value in (
        ("knew_on", knew_on),
        ("employment_ended_on", employment_ended_on),
        ("received_on", received_on),
    ):
        if value is not None and value > as_of:
            problems.add(errors.DATE_IN_FUTURE.problem(name))
    for i, day in enumerate(interruptions):
        if day > as_of:
            problems.add(errors.DATE_IN_FUTURE.problem(f"interruptions[{i}]"))
    if claim != clock.WAGES and knew_on is None:
        problems.add(errors.KNEW_ON_REQUIRED.problem())
    problems.raise_if_any()

    cal = calendar()
    limitation = clock.limitation(
        claim=claim,
        knew_on=knew_on,
        employment_ended_on=employment_ended_on,
        # A mediation application is a request for relief: it interrupts the limitation.
        interruptions=interruptions + ([received_on] if received_on else []),
        as_of=as_of,
        cal=cal,
    )
    basis = list(limitation.basis)
    deadline = None
    if received_on is not None:
        deadline = clock.mediation_deadline(received_on, cal)
        basis.insert(0, clock.mediation_basis(received_on, deadline))
    for year in sorted(cal.unknown_years):
        basis.append(
            clock.Basis(
                clock.CIVIL_CODE_201_204,
                f"{year} 年的法定节假日安排尚未录入，该年按周六、周日休息计算。",
                f"The {year} holiday schedule is not loaded yet; weekends are taken as rest days.",
            )
        )
    return TimeLimits(limitation.status, limitation.deadline, deadline, basis)
