"""Statistics for the bureau and each organisation (issue #14, item 7): received, accepted,
settled, success rate, days to close, amounts claimed and recovered — by organisation level,
kind, street, claim category and month. One grouped query per table, over the scoped cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accord.mediation.models import Case, Claim

SETTLED = (Case.Status.AGREED,)
CONCLUDED = (
    Case.Status.AGREED,
    Case.Status.ENDED,
    Case.Status.EXPIRED,
    Case.Status.REFERRED,
)
GROUPS = {
    "kind": "organisation__kind",
    "organisation": "organisation__name",
    "street": "street__name_zh",
    "month": "month",
}


@dataclass
class Row:
    key: str
    received: int
    accepted: int
    settled: int
    concluded: int
    claimed_fen: int
    recovered_fen: int
    days_to_close: float | None

    @property
    def success_rate(self) -> float | None:
        return round(100 * self.settled / self.concluded, 1) if self.concluded else None


def _aggregates() -> dict:
    accepted = ~Q(status__in=[Case.Status.APPLIED, Case.Status.DECLINED, Case.Status.WITHDRAWN])
    return {
        "received": Count("id"),
        "accepted": Count("id", filter=accepted),
        "settled": Count("id", filter=Q(status__in=SETTLED)),
        "concluded": Count("id", filter=Q(status__in=CONCLUDED)),
        "claimed": Sum("claimed_fen"),
        "recovered": Sum("recovered_fen", filter=Q(status__in=SETTLED)),
        "close_days": Sum(F("closed_on") - F("received_on"), filter=Q(closed_on__isnull=False)),
        "closed": Count("id", filter=Q(closed_on__isnull=False)),
    }


def _days(value, closed: int) -> float | None:
    if not closed or value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value) / 1e6
    return round(seconds / 86400 / closed, 1)


def table(cases: QuerySet[Case], by: str, since: dt.date | None = None) -> list[Row]:
    qs = cases.order_by()
    if since is not None:
        qs = qs.filter(received_on__gte=since)
    field = GROUPS[by]
    if by == "month":
        qs = qs.annotate(month=TruncMonth("received_on"))
    rows = qs.values(field).annotate(**_aggregates()).order_by(field)
    return [
        Row(
            key=(
                r[field].strftime("%Y-%m") if by == "month" and r[field] else str(r[field] or "—")
            ),
            received=r["received"],
            accepted=r["accepted"],
            settled=r["settled"],
            concluded=r["concluded"],
            claimed_fen=r["claimed"] or 0,
            recovered_fen=r["recovered"] or 0,
            days_to_close=_days(r["close_days"], r["closed"]),
        )
        for r in rows
    ]


def totals(cases: QuerySet[Case], since: dt.date | None = None) -> Row:
    qs = cases.order_by()
    if since is not None:
        qs = qs.filter(received_on__gte=since)
    r = qs.aggregate(**_aggregates())
    return Row(
        "all",
        r["received"],
        r["accepted"],
        r["settled"],
        r["concluded"],
        r["claimed"] or 0,
        r["recovered"] or 0,
        _days(r["close_days"], r["closed"]),
    )


def by_claim(cases: QuerySet[Case], since: dt.date | None = None) -> list[tuple[str, int, int]]:
    """(category label, cases, amount claimed in fen) per Art. 2 category."""
    qs = Claim.objects.filter(case__in=cases.order_by().values("pk"))
    if since is not None:
        qs = qs.filter(case__received_on__gte=since)
    rows = qs.values("category").annotate(n=Count("case_id", distinct=True), fen=Sum("amount_fen"))
    labels = dict(Claim._meta.get_field("category").choices)
    return [(str(labels.get(r["category"], r["category"])), r["n"], r["fen"] or 0) for r in rows]


def by_status(cases: QuerySet[Case]) -> list[tuple[str, str, int]]:
    rows = cases.order_by().values("status").annotate(n=Count("id"))
    labels = dict(Case.Status.choices)
    return [(r["status"], str(labels[r["status"]]), r["n"]) for r in rows]
