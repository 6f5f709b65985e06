"""The 入/转/调/离 lifecycle: which document fits which state of an employment, and its timeline.

One employment (a worker at one enterprise) goes through documents in an order the law gives:

- 入 hire: an offer, then the written labour contract (LCL Art. 10: within one month of the
  start of work);
- 转 confirmation (转正): only while or after a probation agreed in a signed labour contract
  (LCL Art. 19: the probation is part of the contract; Art. 21);
- 调 change of post, place or wage: by agreement in writing (LCL Art. 35), only to a signed
  contract of an active employment; renewal of a fixed-term contract (LCL Art. 14, 46);
- 离 termination or ending notice, only while the employment is active (LCL Art. 36–44, 50);
  the certificate of leaving (离职证明) only after it ended: the employer issues it when the
  contract is dissolved or ends (LCL Art. 50).

``allowed_steps`` lists the steps with whether each fits now and, if not, why (zh/en with the
article); ``require_fits`` raises the same reason as an error before an envelope is drafted.
``timeline`` gives every document of the employment in time order, with its start and end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accord.contracts.models import LABOUR_CONTRACT_KINDS, DocumentKind
from accord.core.errors import NotFound
from accord.core.scoping import get_scoped
from accord.envelopes import errors, policy
from accord.envelopes.forms import KIND_LABELS
from accord.envelopes.models import Envelope
from accord.identity.models import Employment

ART_10 = "《劳动合同法》第十条 / LCL Art. 10"
ART_19 = "《劳动合同法》第十九条、第二十一条 / LCL Art. 19, 21"
ART_35 = "《劳动合同法》第三十五条 / LCL Art. 35"
ART_46 = "《劳动合同法》第十四条、第四十六条 / LCL Art. 14, 46"
ART_50 = "《劳动合同法》第五十条 / LCL Art. 50"
ART_36 = "《劳动合同法》第三十六条至第五十条 / LCL Art. 36–50"

# The steps in lifecycle order: (stage, kind). A labour contract step offers its four kinds.
STAGES = [
    ("hire", DocumentKind.OFFER),
    ("hire", DocumentKind.LABOUR_FIXED),
    ("hire", DocumentKind.LABOUR_OPEN_ENDED),
    ("hire", DocumentKind.LABOUR_TASK),
    ("hire", DocumentKind.LABOUR_PART_TIME),
    ("confirm", DocumentKind.CONFIRMATION),
    ("change", DocumentKind.CHANGE),
    ("change", DocumentKind.RENEWAL),
    ("leave", DocumentKind.TERMINATION),
    ("leave", DocumentKind.LEAVING_CERTIFICATE),
]
STAGE_LABELS = {
    "hire": _("入职"),
    "confirm": _("转正"),
    "change": _("调岗调薪与续订"),
    "leave": _("离职"),
}


@dataclass(frozen=True)
class Step:
    stage: str
    kind: str
    label: Any
    allowed: bool
    reason_zh: str = ""
    reason_en: str = ""
    article: str = ""


@dataclass
class Event:
    """One line of the timeline: an envelope or the employment's start or end."""

    at: dt.datetime
    kind: str  # a DocumentKind value, or "employment.start" / "employment.end"
    label: Any
    envelope: Envelope | None = None
    dates: dict[str, dt.datetime | None] = field(default_factory=dict)


@dataclass(frozen=True)
class _Facts:
    active: bool
    ended: bool
    contract: Envelope | None  # the latest completed labour contract
    probation_end: str
    confirmed: bool
    certified: bool
    open_kinds: frozenset[str]


def _facts(employment: Employment) -> _Facts:
    envelopes = list(
        Envelope.objects.filter(
            enterprise_id=employment.enterprise_id, person_id=employment.person_id
        )
        .filter(_belongs(employment))
        .only("kind", "status", "values", "completed_at", "employment_id")
        .order_by("-completed_at", "-created_at")
    )
    completed = [e for e in envelopes if e.status == Envelope.Status.COMPLETED]
    contract = next((e for e in completed if e.kind in LABOUR_CONTRACT_KINDS), None)
    return _Facts(
        active=employment.end_date is None,
        ended=employment.end_date is not None,
        contract=contract,
        probation_end=str((contract.values or {}).get("probation.end_date", ""))
        if contract
        else "",
        confirmed=any(e.kind == DocumentKind.CONFIRMATION for e in completed),
        certified=any(e.kind == DocumentKind.LEAVING_CERTIFICATE for e in completed),
        open_kinds=frozenset(e.kind for e in envelopes if e.status in Envelope.OPEN),
    )


def _belongs(employment: Employment):
    """Envelopes of this employment; an envelope drafted without one counts for the employment
    of the same worker and enterprise (the services attach the latest one)."""
    return Q(employment=employment) | Q(employment__isnull=True)


def _why_not(kind: str, f: _Facts) -> tuple[str, str, str] | None:
    """None when ``kind`` fits the employment now; else (zh, en, article)."""
    if kind in f.open_kinds:
        return (
            "已有同类文件正在签署中，请先完成、撤回或作废。",
            "A document of this kind is already out for signing; finish, withdraw or void it first.",
            "",
        )
    if kind == DocumentKind.LEAVING_CERTIFICATE:
        if not f.ended:
            return (
                "离职证明在劳动合同解除或终止后出具，请先办理离职。",
                "The certificate of leaving is issued once the contract has ended; end the "
                "employment first.",
                ART_50,
            )
        if f.certified:
            return ("已出具离职证明。", "A certificate of leaving was already issued.", ART_50)
        return None
    if not f.active:
        return (
            "劳动关系已结束，只能出具离职证明。",
            "The employment has ended; only a certificate of leaving can be issued.",
            ART_50,
        )
    if kind == DocumentKind.OFFER:
        if f.contract is not None:
            return (
                "已签订劳动合同，无需再发录用通知书。",
                "A labour contract is already signed; no offer is needed.",
                ART_10,
            )
        return None
    if kind in LABOUR_CONTRACT_KINDS:
        return None  # LCL Art. 10: a written contract; a further one replaces or follows it
    if f.contract is None:
        return (
            "尚无已签署的劳动合同，请先订立书面劳动合同。",
            "No signed labour contract yet: conclude the written contract first.",
            ART_10,
        )
    if kind == DocumentKind.CONFIRMATION:
        if not f.probation_end:
            return (
                "劳动合同未约定试用期，无需转正。",
                "The labour contract agrees no probation; there is nothing to confirm.",
                ART_19,
            )
        if f.confirmed:
            return ("已办理转正。", "The worker is already confirmed.", ART_19)
        return None
    if kind == DocumentKind.RENEWAL and f.contract.kind != DocumentKind.LABOUR_FIXED:
        return (
            "只有固定期限劳动合同需要续订。",
            "Only a fixed-term labour contract is renewed.",
            ART_46,
        )
    return None  # change (Art. 35) and termination (Art. 36–50) of an active, signed contract


def allowed_steps(employment: Employment) -> list[Step]:
    facts = _facts(employment)
    steps = []
    for stage, kind in STAGES:
        why = _why_not(kind, facts)
        steps.append(
            Step(
                stage=stage,
                kind=kind,
                label=KIND_LABELS[kind],
                allowed=why is None,
                reason_zh=why[0] if why else "",
                reason_en=why[1] if why else "",
                article=why[2] if why else "",
            )
        )
    return steps


def require_fits(employment: Employment | None, kind: str) -> None:
    """Raise when a document of ``kind`` does not fit the employment's state now."""
    if kind not in DocumentKind.values:
        raise errors.KIND_UNKNOWN()
    if employment is None:
        if kind in LABOUR_CONTRACT_KINDS or kind == DocumentKind.OFFER:
            return
        raise errors.LIFECYCLE_EMPLOYMENT_REQUIRED()
    why = _why_not(kind, _facts(employment))
    if why is not None:
        zh, en, article = why
        raise errors.LIFECYCLE_STEP_NOT_ALLOWED(
            extra={"article": article} if article else None,
            reason_zh=f"{zh}{'依据：' + article + '。' if article else ''}",
            reason_en=f"{en}{' (' + article.split(' / ')[-1] + ')' if article else ''}",
        )


def employment_for_documents(user, public_id) -> Employment:
    """An employment whose documents this user may see: its enterprise's HR, the bureau, or the
    worker themselves. Anyone else — a street officer sees employments, not their documents —
    gets 404 (never a 403 that leaks existence)."""
    employment = get_scoped(Employment, user, public_id)
    if (
        employment.enterprise_id in user.enterprise_ids
        or user.has_role(*policy.ALL_SEEING)
        or (getattr(user, "person_id", None) is not None and employment.person_id == user.person_id)
    ):
        return employment
    raise NotFound()


def next_steps_for(user, employment: Employment) -> list[Step]:
    """The steps that fit now, for the enterprise's HR (who drafts them); nobody else."""
    return allowed_steps(employment) if employment.enterprise_id in user.enterprise_ids else []


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _when(envelope: Envelope) -> dt.datetime:
    return envelope.completed_at or envelope.ended_at or envelope.sent_at or envelope.created_at


def timeline(employment: Employment, envelopes=None) -> list[Event]:
    """Every document of this worker at this enterprise in time order, with the start and end.

    ``envelopes`` is the caller's scoped queryset (what this user may see); by default all."""
    qs = envelopes if envelopes is not None else Envelope.objects.all()
    qs = (
        qs.filter(enterprise_id=employment.enterprise_id, person_id=employment.person_id)
        .filter(_belongs(employment))
        .select_related(None)
        .only(
            "public_id",
            "number",
            "title",
            "kind",
            "status",
            "created_at",
            "sent_at",
            "completed_at",
            "ended_at",
            "end_reason",
            "deadline",
            "employment_id",
        )
        .order_by("created_at", "id")[:500]
    )
    events = [
        Event(
            at=_start_of(employment.start_date),
            kind="employment.start",
            label=_("入职"),
        )
    ]
    for envelope in qs:
        events.append(
            Event(
                at=_when(envelope),
                kind=envelope.kind,
                label=KIND_LABELS.get(envelope.kind, envelope.kind),
                envelope=envelope,
                dates={
                    "created": envelope.created_at,
                    "sent": envelope.sent_at,
                    "completed": envelope.completed_at,
                    "ended": envelope.ended_at,
                },
            )
        )
    if employment.end_date is not None:
        # The end of the day: documents dated that day (the notice) come before it.
        end = _start_of(employment.end_date) + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
        events.append(Event(at=end, kind="employment.end", label=_("离职")))
    events.sort(key=lambda e: e.at)
    return events
