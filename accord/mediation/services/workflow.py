"""The case on the law's clock: accept or decline, assign, sessions, extensions, ending, the
Art. 14 sweep, referral, withdrawal. Each transition is decided by ``policy.can`` and made by
``base.move`` (saved, audited, published)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accord.core import audit
from accord.core.errors import REQUIRED
from accord.core.events import publish
from accord.core.notifications import notify
from accord.mediation import clock, errors, meeting, policy
from accord.mediation.models import Case, ClockEvent, Mediator, MeetingJoin, Session
from accord.mediation.services import registry
from accord.mediation.services.base import calendar, locked, move, payload

WARN_DAYS_BEFORE = 3  # Art. 14: the handler is warned this many days before the last day
MAX_EXTENSION_DAYS = 30


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise errors.REASON_REQUIRED()
    return reason[:500]


@transaction.atomic
def accept(case: Case, *, actor) -> Case:
    case = locked(case)
    policy.can(actor, case, "accept").enforce()
    case.accepted_on = timezone.localdate()
    return move(case, Case.Status.ACCEPTED, ["accepted_on"], "accept")


@transaction.atomic
def decline(case: Case, *, actor, reason: str) -> Case:
    case = locked(case)
    policy.can(actor, case, "decline").enforce()
    case.decline_reason = _reason(reason)
    case.closed_on = timezone.localdate()
    return move(
        case,
        Case.Status.DECLINED,
        ["decline_reason", "closed_on"],
        "decline",
        reason=[None, case.decline_reason],
    )


@transaction.atomic
def assign(case: Case, *, actor, mediator: Mediator | None = None) -> Case:
    """The chosen mediator, or the least loaded one of the organisation without a conflict."""
    case = locked(case)
    policy.can(actor, case, "assign").enforce()
    if mediator is None:
        mediator = registry.least_loaded(case)
    registry.require_assignable(mediator, case)
    before = case.mediator_id
    case.mediator = mediator
    case.assigned_at = timezone.now()
    case.save(update_fields=["mediator", "assigned_at", "updated_at"])
    audit.record(
        "mediation.case.assign",
        case,
        enterprise_id=case.enterprise_id,
        changes={"mediator": [before, mediator.registration_number]},
    )
    publish("mediation.case.assigned", payload(case))
    if mediator.user_id:
        notify(
            mediator.user,
            f"新分派调解案件 {case.number}",
            f"期限最后一日 {case.mediation_deadline}",
            link=f"/mediation/cases/{case.public_id}/",
        )
    return case


@transaction.atomic
def schedule_session(
    case: Case, *, actor, starts_at: dt.datetime, mode: str, place: str = ""
) -> Session:
    case = locked(case)
    policy.can(actor, case, "schedule").enforce()
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    if starts_at <= timezone.now():
        raise errors.SESSION_IN_PAST()
    if mode not in Session.Mode.values:
        raise REQUIRED(field="mode")
    if mode == Session.Mode.IN_PERSON and not place.strip():
        raise errors.SESSION_PLACE_REQUIRED()
    room = meeting.provider().create_room(case.number) if mode == Session.Mode.ONLINE else None
    session = Session.objects.create(
        case=case,
        starts_at=starts_at,
        mode=mode,
        place=place.strip()[:200],
        room=room.name if room else "",
        join_url=room.join_url if room else "",
    )
    audit.record(
        "mediation.session.schedule",
        case,
        enterprise_id=case.enterprise_id,
        changes={"session": [None, starts_at.isoformat()], "mode": [None, mode]},
    )
    if case.status != Case.Status.IN_MEDIATION:
        move(case, Case.Status.IN_MEDIATION, [], "start")
    return session


@transaction.atomic
def record_session(session: Session, *, actor, minutes: str, present: list[str]) -> Session:
    """The minutes of a held session and who was present (they sign the minutes)."""
    case = locked(session.case)
    if not policy.handles(actor, case):
        raise errors.NOT_HANDLING()
    if session.status != Session.Status.SCHEDULED:
        raise errors.SESSION_NOT_SCHEDULED()
    if not (minutes or "").strip():
        raise REQUIRED(field="minutes")
    session.minutes = minutes.strip()
    session.present = [p.strip()[:60] for p in present if p.strip()]
    session.status = Session.Status.HELD
    session.save(update_fields=["minutes", "present", "status", "updated_at"])
    audit.record(
        "mediation.session.record",
        case,
        enterprise_id=case.enterprise_id,
        changes={"session": [None, str(session.public_id)], "present": [None, session.present]},
    )
    return session


def join_room(room: str, *, name: str, side: str) -> Session:
    session = Session.objects.filter(room=room, mode=Session.Mode.ONLINE).first()
    if session is None:
        raise errors.CASE_NOT_FOUND()
    MeetingJoin.objects.create(session=session, name=name[:60], side=side[:20])
    return session


@transaction.atomic
def extend(case: Case, *, actor, days: int, both_agreed: bool, note: str = "") -> Case:
    """Both parties agreed to extend the mediation period (recorded as a clock event)."""
    case = locked(case)
    policy.can(actor, case, "extend").enforce()
    if not both_agreed or not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise errors.EXTENSION_INVALID()
    ClockEvent.objects.create(
        case=case,
        kind=ClockEvent.Kind.EXTENSION,
        on=timezone.localdate(),
        days=days,
        note=note[:500],
        recorded_by=actor,
    )
    before = case.mediation_deadline
    case.mediation_deadline = deadline_of(case)
    case.deadline_warned_on = None
    case.save(update_fields=["mediation_deadline", "deadline_warned_on", "updated_at"])
    audit.record(
        "mediation.case.extend",
        case,
        enterprise_id=case.enterprise_id,
        changes={
            "mediation_deadline": [str(before), str(case.mediation_deadline)],
            "days": [None, days],
        },
    )
    return case


@transaction.atomic
def record_clock_event(case: Case, *, actor, kind: str, on: dt.date, note: str = "") -> ClockEvent:
    """An interruption or a suspension of the Art. 27 limitation."""
    case = locked(case)
    if not policy.handles(actor, case):
        raise errors.NOT_HANDLING()
    if kind not in (
        ClockEvent.Kind.INTERRUPTION,
        ClockEvent.Kind.SUSPENSION_START,
        ClockEvent.Kind.SUSPENSION_END,
    ):
        raise REQUIRED(field="kind")
    if on > timezone.localdate():
        raise errors.DATE_IN_FUTURE(field="on")
    event = ClockEvent.objects.create(
        case=case, kind=kind, on=on, note=note[:500], recorded_by=actor
    )
    audit.record(
        "mediation.case.clock_event",
        case,
        enterprise_id=case.enterprise_id,
        changes={"kind": [None, kind], "on": [None, on.isoformat()]},
    )
    return event


def deadline_of(case: Case) -> dt.date:
    extra = sum(e.days for e in case.clock_events.all() if e.kind == ClockEvent.Kind.EXTENSION)
    return clock.mediation_deadline(case.received_on, calendar(), extra)


@transaction.atomic
def end(case: Case, *, actor, reason: str) -> Case:
    """Mediation ended without agreement: the parties may go to arbitration (Art. 14)."""
    case = locked(case)
    policy.can(actor, case, "end").enforce()
    case.end_reason = _reason(reason)
    case.closed_on = timezone.localdate()
    return move(
        case, Case.Status.ENDED, ["end_reason", "closed_on"], "end", reason=[None, case.end_reason]
    )


@transaction.atomic
def withdraw(case: Case, *, actor, reason: str = "") -> Case:
    case = locked(case)
    policy.can(actor, case, "withdraw").enforce()
    case.end_reason = (reason or "申请人撤回").strip()[:500]
    case.closed_on = timezone.localdate()
    return move(case, Case.Status.WITHDRAWN, ["end_reason", "closed_on"], "withdraw")


@transaction.atomic
def refer(case: Case, *, actor) -> Case:
    """Referral to arbitration: after no agreement, the period's end, a refusal, or an
    agreement a party does not perform (Art. 14, 15)."""
    case = locked(case)
    agreement = getattr(case, "agreement", None) if case.status == Case.Status.AGREED else None
    policy.can(actor, case, "refer", agreement=agreement, today=timezone.localdate()).enforce()
    case.referred_on = timezone.localdate()
    case.closed_on = case.closed_on or case.referred_on
    return move(case, Case.Status.REFERRED, ["referred_on", "closed_on"], "refer")


# ---- the sweep: warnings before the Art. 14 day, and the cases whose period has run out ----


@dataclass
class SweepResult:
    warned: int = 0
    expired: int = 0


def sweep(today: dt.date | None = None) -> SweepResult:
    """Warn the handlers of cases whose last day is near; close as expired the open cases whose
    15 days (with agreed extensions) have passed without agreement, offering the referral."""
    today = today or timezone.localdate()
    result = SweepResult()
    near = today + dt.timedelta(days=WARN_DAYS_BEFORE)
    due = Case.objects.filter(
        status__in=Case.CLOCK_RUNNING,
        mediation_deadline__gte=today,
        mediation_deadline__lte=near,
        deadline_warned_on__isnull=True,
    ).select_related("mediator__user")
    for case in due:
        with transaction.atomic():
            Case.objects.filter(pk=case.pk).update(deadline_warned_on=today)
            if case.mediator_id and case.mediator.user_id:
                notify(
                    case.mediator.user,
                    f"调解期限将届满：{case.number}",
                    f"《劳动争议调解仲裁法》第十四条：最后一日 {case.mediation_deadline}",
                    link=f"/mediation/cases/{case.public_id}/",
                )
            result.warned += 1
    overdue = Case.objects.filter(status__in=Case.CLOCK_RUNNING, mediation_deadline__lt=today)
    for case in overdue.only("pk"):
        with transaction.atomic():
            case = locked(case)
            if case.status not in Case.CLOCK_RUNNING or case.mediation_deadline >= today:
                continue
            case.closed_on = today
            case.end_reason = (
                f"自收到调解申请之日起十五日内未达成调解协议（最后一日 {case.mediation_deadline}），"
                "当事人可以依法申请仲裁。"
            )
            move(case, Case.Status.EXPIRED, ["closed_on", "end_reason"], "expire")
            result.expired += 1
    return result


# ---- the clocks of one case, for its page and the API -------------------------------------


@dataclass
class CaseClock:
    mediation_deadline: dt.date | None
    days_left: int | None
    limitation: clock.Limitation | None
    basis: list[clock.Basis]


def case_clock(case: Case, today: dt.date | None = None) -> CaseClock:
    today = today or timezone.localdate()
    cal = calendar()
    events = list(case.clock_events.all())
    interruptions = [case.received_on] + [
        e.on for e in events if e.kind == ClockEvent.Kind.INTERRUPTION
    ]
    suspensions, start = [], None
    for e in events:
        if e.kind == ClockEvent.Kind.SUSPENSION_START:
            start = e.on
        elif e.kind == ClockEvent.Kind.SUSPENSION_END and start is not None:
            suspensions.append((start, e.on))
            start = None
    if start is not None:
        suspensions.append((start, today))
    claims = {c.category for c in case.claims.all()}
    claim = (
        clock.WAGES if claims == {clock.WAGES} else next(iter(claims - {clock.WAGES}), clock.WAGES)
    )
    limitation = None
    if claim == clock.WAGES or case.knew_on is not None:
        limitation = clock.limitation(
            claim=claim,
            knew_on=case.knew_on,
            employment_ended_on=case.employment_ended_on,
            interruptions=interruptions,
            suspensions=suspensions,
            as_of=today,
            cal=cal,
        )
    deadline = case.mediation_deadline
    basis = [clock.mediation_basis(case.received_on, deadline)] if deadline else []
    if limitation:
        basis += limitation.basis
    days_left = (deadline - today).days if deadline and case.status in Case.CLOCK_RUNNING else None
    return CaseClock(deadline, days_left, limitation, basis)
