"""The HR contract workspace (合同工作台): what needs doing about labour contracts, and what it costs.

- Day-30 exposure (LCL Art. 10, 82, 14; Implementing Regulations Art. 6–7): a written contract
  is due within one month of the start of work. From the start of the second month without
  one, the employer owes the worker one extra month's wage per month (double wages), for at
  most eleven months; after a full year without one the contract is deemed open-ended.
- Fixed-term contracts ending in the next 30 days: renew or end. After two consecutive fixed
  terms a renewal must be open-ended when the worker asks (Art. 14(3)); ending on expiry owes
  economic compensation (Art. 44(1), 46(5)) of one month's wage per year of service (Art. 47).
- Probations ending in the next 14 days (Art. 19–21).

Everything here is read-only: a query over envelopes and employments, computed on request.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import Count
from django.utils import timezone

from accord.contracts import rules
from accord.contracts.models import LABOUR_CONTRACT_KINDS, DocumentKind, MinimumWage
from accord.core.errors import NotFound
from accord.core.scoping import get_scoped
from accord.envelopes.models import Envelope
from accord.identity.models import Employment, Enterprise

ART_10 = "《劳动合同法》第十条 / LCL Art. 10"
ART_14 = "《劳动合同法》第十四条 / LCL Art. 14"
ART_19 = "《劳动合同法》第十九条 / LCL Art. 19"
ART_46 = "《劳动合同法》第四十四条、第四十六条、第四十七条 / LCL Art. 44, 46, 47"
ART_82 = "《劳动合同法》第八十二条 / LCL Art. 82"

MAX_DOUBLE_WAGE_MONTHS = rules.MAX_DOUBLE_WAGE_MONTHS  # Art. 82, Regulations Art. 7
EXPIRING_DAYS = 30
PROBATION_DAYS = 14
DUE_SOON_DAYS = 7
MAX_ROWS = 200

_WAGE = re.compile(r"[\d,]+(?:\.\d+)?")


# One reckoning of months and of "late" for the check-up, drafts, batches and this workspace.
add_months = rules.add_months
months_between = rules.months_between


def parse_wage(text: Any) -> Decimal | None:
    """``"8,000.00 元"`` (drafting's rendering) or a plain number -> Decimal yuan."""
    if text is None or text == "":
        return None
    found = _WAGE.search(str(text))
    if not found:
        return None
    try:
        value = Decimal(found.group(0).replace(",", ""))
    except InvalidOperation:
        return None
    return value if value > 0 else None


def yuan(value: Decimal) -> Decimal:
    return value.quantize(Decimal("1"), rounding=ROUND_HALF_UP)


@dataclass
class Exposure:
    """One active employment without a completed labour contract (Art. 10/82)."""

    employment: str
    person: str
    worker: str
    id_masked: str
    start_date: dt.date
    days_employed: int
    due_date: dt.date  # last day to conclude the written contract (Art. 10: one month)
    days_left: int  # negative once overdue
    days_overdue: int  # days past the due date (0 before)
    urgency: str  # overdue | due_soon | upcoming | not_started
    double_wage_months: Decimal  # accrued since the start of the second month, at most 11
    exposure: Decimal  # accrued extra wages, yuan
    monthly_cost: Decimal  # what each further month without a contract adds
    wage: Decimal
    wage_known: bool  # False: the minimum wage is used, the real exposure is at least this
    deemed_open_ended: bool  # a full year without a contract (Art. 14)
    open_envelope: str | None = None  # a labour contract being drafted/signed
    open_envelope_status: str = ""
    draft_url: str = ""
    articles: list[str] = field(default_factory=lambda: [ART_10, ART_82])


@dataclass
class Expiring:
    envelope: str
    number: str
    person: str
    worker: str
    employment: str | None
    end_date: dt.date
    days_left: int
    fixed_terms: int  # consecutive fixed terms concluded so far (contract + renewals)
    must_offer_open_ended: bool  # Art. 14(3)
    years_of_service: Decimal
    compensation: Decimal | None  # Art. 47, if it ends on expiry without a renewal offer
    wage: Decimal | None
    articles: list[str] = field(default_factory=lambda: [ART_14, ART_46])


@dataclass
class ProbationEnding:
    envelope: str
    number: str
    person: str
    worker: str
    end_date: dt.date
    days_left: int
    confirmed: bool  # a completed confirmation (转正) document exists
    articles: list[str] = field(default_factory=lambda: [ART_19])


@dataclass
class Workspace:
    enterprise: str
    today: dt.date
    counts: dict[str, int]
    total: int
    exposures: list[Exposure]
    exposures_total: int
    exposure_sum: Decimal
    exposure_at_minimum: bool  # some wages unknown: the sum is a lower bound
    minimum_wage: Decimal | None
    expiring: list[Expiring]
    probations: list[ProbationEnding]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _minimum_wage(today: dt.date) -> Decimal | None:
    row = MinimumWage.in_force(today)
    return Decimal(row.monthly_fen) / 100 if row else None


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def service_years(start: dt.date, end: dt.date) -> Decimal:
    """Art. 47: one month's wage per full year; six months or more count as a year, less as half."""
    months = months_between(start, end)
    years = int(months // 12)
    rest = months - years * 12
    if rest >= 6:
        return Decimal(years + 1)
    if rest > 0:
        return Decimal(years) + Decimal("0.5")
    return Decimal(years)


def exposure_for(
    start: dt.date, today: dt.date, wage: Decimal
) -> tuple[dt.date, Decimal, Decimal, bool]:
    """(due date, double-wage months accrued, extra wages accrued, deemed open-ended)."""
    # Art. 10, 82, 14 ¶3 with Regulations Art. 6–7, reckoned by contracts.rules as the check-up
    # does: due by the last day of the first month; double wages from day 32, at most eleven
    # months; deemed open-ended on the first anniversary.
    due = rules.written_contract_due(start)
    months = rules.double_wage_months(start, today)
    deemed = today >= rules.deemed_open_ended_on(start)
    return due, months, yuan(months * wage), deemed


def build(enterprise: Enterprise, today: dt.date | None = None) -> Workspace:
    today = today or timezone.localdate()
    envelopes = Envelope.objects.filter(enterprise=enterprise)
    counts = {s: 0 for s in Envelope.Status.values}
    for row in envelopes.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    minimum = _minimum_wage(today)

    labour = list(
        envelopes.filter(kind__in=LABOUR_CONTRACT_KINDS)
        .order_by("-created_at", "-id")
        .values("public_id", "person_id", "status", "values", "number", "created_at")
    )
    signed_people = envelopes.filter(
        kind__in=LABOUR_CONTRACT_KINDS, status=Envelope.Status.COMPLETED
    ).values("person_id")
    latest_by_person: dict[int, Any] = {}
    open_by_person: dict[int, Any] = {}
    for e in labour:
        latest_by_person.setdefault(e["person_id"], e)
        if e["status"] in Envelope.OPEN:
            open_by_person.setdefault(e["person_id"], e)

    active = (
        Employment.objects.filter(enterprise=enterprise, end_date__isnull=True)
        .exclude(person_id__in=signed_people)
        .select_related("person")
        .order_by("start_date", "id")
    )
    exposures: list[Exposure] = []
    exposure_sum = Decimal(0)
    at_minimum = False
    total_without = 0
    # Every row counts towards the total exposure; only the most urgent MAX_ROWS are listed.
    for job in active.iterator(chunk_size=2000):
        total_without += 1
        latest = latest_by_person.get(job.person_id)
        wage = parse_wage((latest or {}).get("values", {}).get("pay.monthly_wage"))
        known = wage is not None
        if wage is None:
            wage = minimum or Decimal(0)
            at_minimum = True
        due, months, accrued, deemed = exposure_for(job.start_date, today, wage)
        days_left = (due - today).days
        if job.start_date > today:
            urgency = "not_started"
        elif days_left < 0:
            urgency = "overdue"
        elif days_left <= DUE_SOON_DAYS:
            urgency = "due_soon"
        else:
            urgency = "upcoming"
        open_env = open_by_person.get(job.person_id)
        exposures.append(
            Exposure(
                employment=str(job.public_id),
                person=str(job.person.public_id),
                worker=job.person.name,
                id_masked=job.person.id_number_masked,
                start_date=job.start_date,
                days_employed=max(0, (today - job.start_date).days + 1),
                due_date=due,
                days_left=days_left,
                days_overdue=max(0, -days_left),
                urgency=urgency,
                double_wage_months=months.quantize(Decimal("0.01")),
                exposure=accrued,
                monthly_cost=yuan(wage),
                wage=yuan(wage),
                wage_known=known,
                deemed_open_ended=deemed,
                open_envelope=str(open_env["public_id"]) if open_env else None,
                open_envelope_status=open_env["status"] if open_env else "",
                draft_url=f"/enterprises/{enterprise.public_id}/envelopes/new?employment={job.public_id}",
            )
        )
        exposure_sum += accrued
    exposures.sort(key=lambda x: (x.urgency == "not_started", x.due_date, x.worker))

    return Workspace(
        enterprise=str(enterprise.public_id),
        today=today,
        counts=counts,
        total=sum(counts.values()),
        exposures=exposures[:MAX_ROWS],
        exposures_total=total_without,
        exposure_sum=exposure_sum,
        exposure_at_minimum=at_minimum,
        minimum_wage=minimum,
        expiring=_expiring(enterprise, today),
        probations=_probations(enterprise, today),
    )


def _active_person_ids(enterprise: Enterprise):
    return Employment.objects.filter(enterprise=enterprise, end_date__isnull=True).values(
        "person_id"
    )


def _active_people(enterprise: Enterprise) -> dict[int, Employment]:
    return {
        e.person_id: e
        for e in Employment.objects.filter(enterprise=enterprise, end_date__isnull=True)
    }


def _expiring(enterprise: Enterprise, today: dt.date) -> list[Expiring]:
    """Completed fixed terms (contracts and renewals) whose latest end date is within 30 days."""
    active = _active_people(enterprise)
    completed = (
        Envelope.objects.filter(
            enterprise=enterprise,
            status=Envelope.Status.COMPLETED,
            kind__in=[DocumentKind.LABOUR_FIXED, DocumentKind.RENEWAL],
            person_id__in=_active_person_ids(enterprise),
        )
        .select_related("person")
        .order_by("completed_at", "id")
    )
    by_person: dict[int, list[tuple[dt.date, Envelope]]] = {}
    for env in completed:
        end = _date(env.values.get("term.end_date")) or _date(env.values.get("renewal.end_date"))
        if end is not None:
            by_person.setdefault(env.person_id, []).append((end, env))
    wages = _latest_wages(enterprise)
    rows: list[Expiring] = []
    horizon = today + dt.timedelta(days=EXPIRING_DAYS)
    for person_id, terms in by_person.items():
        end, env = max(terms, key=lambda t: t[0])
        if not today <= end <= horizon:
            continue
        job = active[person_id]
        years = service_years(job.start_date, end)
        wage = wages.get(person_id)
        rows.append(
            Expiring(
                envelope=str(env.public_id),
                number=env.number,
                person=str(env.person.public_id),
                worker=env.person.name,
                employment=str(job.public_id),
                end_date=end,
                days_left=(end - today).days,
                fixed_terms=len(terms),
                must_offer_open_ended=len(terms) >= 2,
                years_of_service=years,
                compensation=yuan(years * wage) if wage else None,
                wage=yuan(wage) if wage else None,
            )
        )
    rows.sort(key=lambda r: (r.end_date, r.worker))
    return rows[:MAX_ROWS]


def _latest_wages(enterprise: Enterprise) -> dict[int, Decimal]:
    wages: dict[int, Decimal] = {}
    for person_id, values in (
        Envelope.objects.filter(enterprise=enterprise, kind__in=LABOUR_CONTRACT_KINDS)
        .exclude(status__in=Envelope.ENDED)
        .order_by("-created_at", "-id")
        .values_list("person_id", "values")
    ):
        if person_id not in wages:
            wage = parse_wage((values or {}).get("pay.monthly_wage"))
            if wage:
                wages[person_id] = wage
    return wages


def _probations(enterprise: Enterprise, today: dt.date) -> list[ProbationEnding]:
    horizon = today + dt.timedelta(days=PROBATION_DAYS)
    confirmed = set(
        Envelope.objects.filter(
            enterprise=enterprise,
            status=Envelope.Status.COMPLETED,
            kind=DocumentKind.CONFIRMATION,
        ).values_list("person_id", flat=True)
    )
    rows: list[ProbationEnding] = []
    seen: set[int] = set()
    for env in (
        Envelope.objects.filter(
            enterprise=enterprise,
            status=Envelope.Status.COMPLETED,
            kind__in=LABOUR_CONTRACT_KINDS,
            person_id__in=_active_person_ids(enterprise),
        )
        .select_related("person")
        .order_by("-completed_at", "-id")
    ):
        if env.person_id in seen:
            continue
        seen.add(env.person_id)
        end = _date(env.values.get("probation.end_date"))
        if end is None or not today <= end <= horizon:
            continue
        rows.append(
            ProbationEnding(
                envelope=str(env.public_id),
                number=env.number,
                person=str(env.person.public_id),
                worker=env.person.name,
                end_date=end,
                days_left=(end - today).days,
                confirmed=env.person_id in confirmed,
            )
        )
    rows.sort(key=lambda r: (r.end_date, r.worker))
    return rows[:MAX_ROWS]


# ---- who may see it --------------------------------------------------------------------------

READERS = ("admin", "bureau_officer", "auditor")  # the bureau reads; it does not act


def workspace_enterprise(user, public_id) -> Enterprise:
    """The enterprise whose workspace ``user`` may read: its HR, or the bureau (read-only).

    Anyone else -- another enterprise's HR, a street officer, a worker -- gets 404."""
    enterprise = get_scoped(Enterprise, user, public_id)
    if enterprise.pk in user.enterprise_ids or user.has_role(*READERS):
        return enterprise
    raise NotFound()


def hr_enterprise(user, public_id) -> Enterprise:
    """The enterprise, for its own HR only (the archive export: personal data); 404 otherwise."""
    enterprise = get_scoped(Enterprise, user, public_id)
    if enterprise.pk in user.enterprise_ids:
        return enterprise
    raise NotFound()
