"""The mediation agreement (调解协议书, Art. 14): drafted from the claims with a payment schedule,
signed by the employer (its seal) and the worker through a 福易签 envelope (real PAdES, ledger
entries, /verify), then sealed for the organisation; performance tracked per instalment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accord.contracts.models import DocumentKind
from accord.contracts.render import render_document
from accord.core import audit
from accord.core.events import publish
from accord.core.notifications import notify
from accord.envelopes import services as envelopes
from accord.mediation import clock, errors, policy
from accord.mediation.models import Agreement, Case, Instalment
from accord.mediation.services.base import calendar, locked, move, payload
from accord.signing import providers
from accord.signing import services as signing


@dataclass
class InstalmentInput:
    due_on: dt.date
    amount_fen: int


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def agreement_sections(case: Case, terms: str, instalments: list[InstalmentInput]) -> list[dict]:
    claims = "\n".join(
        f"{i}. {c.get_category_display()}"
        + (f"：人民币 {yuan(c.amount_fen)} 元" if c.amount_fen else "")
        + (f"（{c.description}）" if c.description else "")
        for i, c in enumerate(case.claims.all(), start=1)
    )
    schedule = (
        "\n".join(
            f"第 {i} 期：{p.due_on:%Y年%m月%d日}前支付人民币 {yuan(p.amount_fen)} 元"
            for i, p in enumerate(instalments, start=1)
        )
        or "无分期付款安排。"
    )
    mediator = case.mediator.person.name if case.mediator_id else ""
    return [
        {
            "heading": "当事人",
            "text": f"申请人/劳动者：{case.worker_name}\n被申请人/用人单位：{case.enterprise_name}",
        },
        {
            "heading": "调解组织",
            "text": f"{case.organisation.name}\n调解员：{mediator}\n案件编号：{case.number}",
        },
        {"heading": "争议事项与请求", "text": claims},
        {"heading": "经调解，双方自愿达成协议如下", "text": terms},
        {"heading": "履行方式与期限", "text": schedule},
        {
            "heading": "效力",
            "text": "本协议经双方当事人签名或者盖章，经调解员签名并加盖调解组织印章后生效，对双方当事人具有"
            "约束力，当事人应当履行（《劳动争议调解仲裁法》第十四条）。一方当事人在协议约定期限内不履行的，"
            "另一方当事人可以依法申请仲裁（第十五条）；因支付拖欠劳动报酬、工伤医疗费、经济补偿或者赔偿金"
            "事项达成协议，用人单位在协议约定期限内不履行的，劳动者可以持本协议书依法向人民法院申请支付令"
            "（第十六条）。双方可自协议生效之日起三十日内共同向人民法院申请司法确认。",
        },
    ]


@transaction.atomic
def draft_agreement(
    case: Case, *, actor, terms: str, instalments: list[InstalmentInput]
) -> Agreement:
    """The case is settled: the agreement is rendered and sent to both parties to sign."""
    case = locked(case)
    policy.can(actor, case, "agree").enforce()
    terms = (terms or "").strip()
    if not terms:
        raise errors.AGREEMENT_TERMS_REQUIRED()
    today = timezone.localdate()
    if any(
        not isinstance(p.amount_fen, int) or p.amount_fen <= 0 or p.due_on < today
        for p in instalments
    ):
        raise errors.INSTALMENTS_INVALID()
    if case.enterprise_id is None:
        raise errors.AGREEMENT_NEEDS_ENTERPRISE()
    if case.worker_id is None:
        raise errors.AGREEMENT_NEEDS_WORKER()
    rendered = render_document(
        "劳动争议调解协议书",
        agreement_sections(case, terms, instalments),
        {},
        number=case.number,
        footer=f"{case.organisation.name} · {case.number}",
    )
    envelope = envelopes.create_envelope(
        enterprise=case.enterprise,
        person=case.worker,
        title=f"劳动争议调解协议书（{case.number}）",
        kind=DocumentKind.MEDIATION_AGREEMENT,
        documents=[
            envelopes.DocumentInput(
                "劳动争议调解协议书", DocumentKind.MEDIATION_AGREEMENT, rendered.pdf
            )
        ],
        idempotency_key=f"mediation:{case.number}",
        checked=True,  # not an HR lifecycle document: the case is its basis
        send=True,
    )
    total = sum(p.amount_fen for p in instalments)
    agreement = Agreement.objects.create(case=case, terms=terms, total_fen=total, envelope=envelope)
    Instalment.objects.bulk_create(
        Instalment(agreement=agreement, due_on=p.due_on, amount_fen=p.amount_fen)
        for p in instalments
    )
    case.recovered_fen = total
    case.closed_on = today
    move(
        case,
        Case.Status.AGREED,
        ["recovered_fen", "closed_on"],
        "agree",
        envelope=[None, envelope.number],
        total_fen=[None, total],
    )
    return agreement


def on_envelope_completed(event) -> None:
    """Both parties have signed: the organisation's seal goes over their signatures and the
    agreement takes effect (Art. 14). Idempotent: a second delivery finds it effective."""
    number = event.payload.get("number")
    if event.payload.get("kind") != DocumentKind.MEDIATION_AGREEMENT:
        return
    with transaction.atomic():
        agreement = (
            Agreement.objects.select_for_update()
            .select_related("case__organisation", "envelope")
            .filter(envelope__number=number)
            .first()
        )
        if agreement is None or agreement.status == Agreement.Status.EFFECTIVE:
            return
        document = agreement.envelope.documents.order_by("position").first()
        signed = providers.load_document(document.current_sha256)
        # Invisible: the employer's seal certified the document (DocMDP), which lets later
        # signatures in but not new page annotations.
        sealed = signing.seal_with_bureau(
            signed,
            visible=False,
            reason=f"{agreement.case.organisation.name} 调解组织印章",
            document_kind="mediation_agreement",
        )
        agreement.final_sha256 = providers.store_document(sealed.pdf)
        agreement.ledger_index = sealed.signature.ledger_index
        agreement.status = Agreement.Status.EFFECTIVE
        agreement.effective_on = timezone.localdate()
        agreement.save(
            update_fields=["final_sha256", "ledger_index", "status", "effective_on", "updated_at"]
        )
        audit.record(
            "mediation.agreement.effective",
            agreement.case,
            enterprise_id=agreement.case.enterprise_id,
            changes={
                "agreement": ["signing", "effective"],
                "sha256": [None, agreement.final_sha256],
            },
        )


def confirmation_deadline(agreement: Agreement) -> dt.date | None:
    if agreement.effective_on is None:
        return None
    return clock.confirmation_deadline(agreement.effective_on, calendar())


@transaction.atomic
def mark_paid(instalment: Instalment, *, actor, paid_on: dt.date) -> Instalment:
    case = instalment.agreement.case
    if not (policy.handles(actor, case) or policy.is_worker_party(actor, case)):
        raise errors.NOT_HANDLING()
    if instalment.paid_on is not None:
        raise errors.INSTALMENT_ALREADY_PAID()
    if paid_on > timezone.localdate():
        raise errors.DATE_IN_FUTURE(field="paid_on")
    instalment.paid_on = paid_on
    instalment.save(update_fields=["paid_on", "updated_at"])
    audit.record(
        "mediation.agreement.paid",
        case,
        enterprise_id=case.enterprise_id,
        changes={
            "instalment": [None, str(instalment.public_id)],
            "paid_on": [None, paid_on.isoformat()],
        },
    )
    return instalment


def remind_overdue(today: dt.date | None = None) -> int:
    """Instalments past their day unpaid: the worker is reminded of Art. 15 and 16, and the
    unperformed agreement is published for credit supervision (once per instalment)."""
    today = today or timezone.localdate()
    count = 0
    overdue = Instalment.objects.filter(
        paid_on__isnull=True, due_on__lt=today, reminded_on__isnull=True
    ).select_related(
        "agreement__case__organisation",
        "agreement__case__enterprise__industry",
        "agreement__case__street",
    )
    for instalment in overdue:
        case = instalment.agreement.case
        with transaction.atomic():
            Instalment.objects.filter(pk=instalment.pk).update(reminded_on=today)
            if case.worker_id and hasattr(case.worker, "user"):
                notify(
                    case.worker.user,
                    f"调解协议未按期履行：{case.number}",
                    "您可以依法申请仲裁（《劳动争议调解仲裁法》第十五条），或就拖欠劳动报酬等"
                    "申请支付令（第十六条）。",
                    link=f"/mediation/cases/{case.public_id}/",
                )
            publish(
                "mediation.agreement_unperformed",
                payload(
                    case, due_on=instalment.due_on.isoformat(), amount_fen=instalment.amount_fen
                ),
            )
            count += 1
    return count
