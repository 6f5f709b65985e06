"""Who may do what to a case, in which state, and why not — the one home of the case's state
machine (issue #14, 《劳动争议调解仲裁法》).

    applied ──accept──▶ accepted ──session──▶ in_mediation ──agree──▶ agreed
       │                   │                      │                     │ (Art. 15: unperformed)
       ├─decline─▶ declined │                      ├─end──▶ ended ───────┤
       │                   └──────────end─────────┤                     ▼
       └─(15 days pass, Art. 14: the sweep)──▶ expired ───refer──▶ referred (arbitration)

An open case (applied, accepted, in mediation) may be withdrawn by its applicant. Each question
answers with a ``Decision``; services call ``decision.enforce()``, pages draw their buttons from
``case_actions`` — no view or template re-encodes the states.
"""

from __future__ import annotations

from accord.core.decisions import ALLOWED, Decision, refuse
from accord.core.roles import BUREAU_ACTS, BUREAU_READS
from accord.mediation import errors
from accord.mediation.models import Agreement, Case

S = Case.Status

ACTION_ZH = {
    "accept": "受理",
    "decline": "不予受理",
    "assign": "分派调解员",
    "schedule": "安排调解",
    "extend": "延长调解期限",
    "agree": "达成调解协议",
    "end": "终止调解",
    "expire": "按期满结案",
    "refer": "转仲裁",
    "withdraw": "撤回申请",
    "evidence": "补充证据",
}
ACTION_EN = {
    "accept": "accepted",
    "decline": "declined",
    "assign": "assigned",
    "schedule": "scheduled",
    "extend": "extended",
    "agree": "settled by agreement",
    "end": "ended",
    "expire": "closed as expired",
    "refer": "referred to arbitration",
    "withdraw": "withdrawn",
    "evidence": "given more evidence",
}

#: From which states each transition may be made.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "accept": (S.APPLIED,),
    "decline": (S.APPLIED,),
    "assign": (S.ACCEPTED, S.IN_MEDIATION),
    "schedule": (S.ACCEPTED, S.IN_MEDIATION),
    "extend": (S.ACCEPTED, S.IN_MEDIATION),
    "agree": (S.IN_MEDIATION,),
    "end": (S.ACCEPTED, S.IN_MEDIATION),
    "expire": Case.CLOCK_RUNNING,
    "refer": (S.ENDED, S.EXPIRED, S.DECLINED, S.AGREED),
    "withdraw": Case.OPEN,
    "evidence": Case.OPEN,
}
#: The state each transition leads to (``assign``, ``extend``, ``evidence`` keep the state).
TARGET = {
    "accept": S.ACCEPTED,
    "decline": S.DECLINED,
    "schedule": S.IN_MEDIATION,
    "agree": S.AGREED,
    "end": S.ENDED,
    "expire": S.EXPIRED,
    "refer": S.REFERRED,
    "withdraw": S.WITHDRAWN,
}


_no = refuse


def _wrong_state(case: Case, action: str) -> Decision:
    return _no(
        errors.TRANSITION_NOT_ALLOWED,
        status_zh=case.get_status_display(),
        status=case.status,
        action_zh=ACTION_ZH[action],
        action_en=ACTION_EN[action],
    )


# ---- who someone is to the case ------------------------------------------------------------


def handles(actor, case: Case) -> bool:
    """A mediator of the case's organisation, or the bureau acting."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return case.organisation_id in getattr(actor, "organisation_ids", set()) or actor.has_role(
        *BUREAU_ACTS
    )


def is_worker_party(actor, case: Case) -> bool:
    person_id = getattr(actor, "person_id", None)
    return person_id is not None and case.worker_id == person_id


def is_employer_party(actor, case: Case) -> bool:
    return case.enterprise_id is not None and case.enterprise_id in getattr(
        actor, "enterprise_ids", set()
    )


def is_party(actor, case: Case) -> bool:
    return is_worker_party(actor, case) or is_employer_party(actor, case)


def is_applicant(actor, case: Case) -> bool:
    if case.applicant_side == Case.Side.WORKER:
        return is_worker_party(actor, case)
    return is_employer_party(actor, case)


def records_oral_applications(actor) -> bool:
    """Art. 12: the staff of an organisation (its mediators) or the bureau record oral ones."""
    return bool(getattr(actor, "organisation_ids", set())) or actor.has_role(*BUREAU_ACTS)


def reads_all(actor) -> bool:
    return actor.has_role(*BUREAU_READS)


# ---- the transitions ---------------------------------------------------------------------


def can(
    actor, case: Case, action: str, *, agreement: Agreement | None = None, today=None
) -> Decision:
    """May ``actor`` make ``action`` on ``case`` now?"""
    if action == "withdraw":
        if not (is_applicant(actor, case) or handles(actor, case)):
            return _no(errors.NOT_A_PARTY)
    elif action == "refer":
        if not (is_party(actor, case) or handles(actor, case)):
            return _no(errors.NOT_A_PARTY)
    elif action == "evidence":
        if not (is_party(actor, case) or handles(actor, case)):
            return _no(errors.NOT_A_PARTY)
    elif action == "expire":
        pass  # the clock itself (the periodic sweep) or a handler: checked by the caller
    elif not handles(actor, case):
        return _no(errors.NOT_HANDLING)
    if case.status not in TRANSITIONS[action]:
        return _wrong_state(case, action)
    if action == "schedule" and case.mediator_id is None:
        return _no(errors.MEDIATOR_REQUIRED)
    if action == "refer" and case.status == S.AGREED:
        # Art. 15: an agreement goes to arbitration only when a party does not perform it.
        if agreement is None or not agreement_overdue(agreement, today):
            return _wrong_state(case, action)
    return ALLOWED


def agreement_overdue(agreement: Agreement, today) -> bool:
    return any(i.paid_on is None and i.due_on < today for i in agreement.instalments.all())


def case_actions(actor, case: Case, *, agreement: Agreement | None = None, today=None) -> list[str]:
    """The actions this actor may take now, for the page's buttons."""
    return [
        a
        for a in TRANSITIONS
        if a != "expire" and can(actor, case, a, agreement=agreement, today=today)
    ]
