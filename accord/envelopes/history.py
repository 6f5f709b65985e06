"""What the platform's records say of a worker's history with an employer, for the legal checks.

The labour-law checks of a new labour contract (contracts.rules) depend on what came before:
one probation per employer and worker (LCL Art. 19 ¶2), whether a written contract was ever
concluded and since when the worker works here (Art. 10, 14 ¶3, 82; Implementing Regulations
Art. 6–7), and the right to an open-ended contract after ten years or two consecutive fixed
terms (Art. 14 ¶2, 82 ¶2). This module reads those facts from the completed labour contracts and
renewals of the current employment, for one worker (a single draft) or a chunk of a batch at
once (two queries), and writes them into a draft's fields: the records may add to what HR
says, never erase it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accord.contracts.models import LABOUR_CONTRACT_KINDS, DocumentKind
from accord.envelopes.models import Envelope
from accord.identity.models import Employment, Enterprise

HISTORY_KINDS = [*LABOUR_CONTRACT_KINDS, DocumentKind.RENEWAL]
FIXED_TERMS = (DocumentKind.LABOUR_FIXED, DocumentKind.RENEWAL)


@dataclass
class History:
    service_start: dt.date | None = None  # the current employment's first day of work
    prior_written_contract: bool = False
    consecutive_fixed_terms: int = 0  # completed fixed terms (contracts and renewals) in a row
    had_probation: bool = False


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def histories(
    enterprise: Enterprise, person_ids: list[int], jobs: dict[int, Employment]
) -> dict[int, History]:
    """The history of each person with ``enterprise``; ``jobs`` are their active employments."""
    found = {
        pk: History(service_start=_day(jobs[pk].start_date) if pk in jobs else None)
        for pk in person_ids
    }
    rows = (
        Envelope.objects.filter(
            enterprise=enterprise,
            person_id__in=person_ids,
            kind__in=HISTORY_KINDS,
            status=Envelope.Status.COMPLETED,
        )
        .order_by("completed_at", "id")
        .values_list("person_id", "kind", "values")
    )
    for person_id, kind, values in rows:
        values = values or {}
        history = found[person_id]
        if kind in LABOUR_CONTRACT_KINDS and values.get("probation.end_date"):
            history.had_probation = True  # Art. 19 ¶2: with this employer, at any time
        start = _day(values.get("term.start_date"))
        if history.service_start and start and start < history.service_start:
            continue  # an earlier, ended employment: not part of the continuing one
        if kind in LABOUR_CONTRACT_KINDS:
            history.prior_written_contract = True
        if kind in FIXED_TERMS:
            history.consecutive_fixed_terms += 1
        elif kind == DocumentKind.LABOUR_OPEN_ENDED:
            history.consecutive_fixed_terms = 0
    return found


def history_of(enterprise: Enterprise, person_id: int, job: Employment | None) -> History:
    return histories(enterprise, [person_id], {person_id: job} if job else {})[person_id]


def with_history(fields: dict[str, Any], history: History) -> dict[str, Any]:
    """The draft's fields with what the records add (they never take away what HR said)."""
    data = dict(fields)
    if history.had_probation:
        data["had_probation_with_employer"] = True
    if history.prior_written_contract:
        data["prior_written_contract"] = True
    if history.consecutive_fixed_terms:
        given = data.get("consecutive_fixed_terms")
        given = int(given) if str(given or "").isdigit() else 0
        data["consecutive_fixed_terms"] = max(given, history.consecutive_fixed_terms)
    start = _day(data.get("start_date"))
    given_service = _day(data.get("service_start_date"))
    if history.service_start and start and history.service_start < start:
        earliest = min(d for d in (given_service, history.service_start) if d)
        data["service_start_date"] = earliest.isoformat()
    return data
