"""Documents prefilled from a case, as PDF: the arbitration application (仲裁申请书) with the
limitation date on it (referral, Art. 14, 15, 27), the payment-order application (Art. 16) and
the joint application for judicial confirmation (within 30 days of the agreement)."""

from __future__ import annotations

from django.utils import timezone

from accord.contracts.render import render_document
from accord.core import audit
from accord.mediation import clock
from accord.mediation.models import PAYMENT_ORDER_CLAIMS, Case
from accord.mediation.services import agreements
from accord.mediation.services.workflow import case_clock

KINDS = {
    "arbitration": "劳动人事争议仲裁申请书",
    "payment_order": "支付令申请书",
    "confirmation": "司法确认申请书",
}


def _claims_text(case: Case) -> str:
    return "\n".join(
        f"{i}. {c.get_category_display()}"
        + (f"：人民币 {agreements.yuan(c.amount_fen)} 元" if c.amount_fen else "")
        for i, c in enumerate(case.claims.all(), start=1)
    )


def _parties(case: Case) -> dict:
    return {
        "heading": "当事人",
        "text": f"申请人（劳动者）：{case.worker_name}\n被申请人（用人单位）：{case.enterprise_name}",
    }


def render(case: Case, kind: str, *, viewer) -> bytes:
    """The PDF of ``kind`` for ``case``; its download is audited (personal data)."""
    today = timezone.localdate()
    c = case_clock(case, today)
    if kind == "arbitration":
        limitation = c.limitation
        deadline = (
            f"仲裁时效届满日：{limitation.deadline:%Y年%m月%d日}（《劳动争议调解仲裁法》第二十七条）"
            if limitation and limitation.deadline
            else "劳动关系存续期间拖欠劳动报酬的争议，不受一年仲裁时效期间限制（第二十七条第四款）。"
        )
        outcome = {
            Case.Status.ENDED: f"调解不成：{case.end_reason}",
            Case.Status.EXPIRED: "自调解组织收到调解申请之日起十五日内未达成调解协议（第十四条）。",
            Case.Status.DECLINED: f"调解组织不予受理：{case.decline_reason}",
            Case.Status.AGREED: "用人单位未在调解协议约定期限内履行（第十五条）。",
        }.get(case.status, case.get_status_display())
        sections = [
            _parties(case),
            {"heading": "仲裁请求", "text": _claims_text(case)},
            {"heading": "事实与理由", "text": case.facts},
            {
                "heading": "调解情况",
                "text": f"{case.organisation.name}，案件编号 {case.number}，"
                f"{case.received_on:%Y年%m月%d日}收到调解申请。{outcome}",
            },
            {"heading": "时效", "text": deadline},
            {
                "heading": "此致",
                "text": "深圳市福田区劳动人事争议仲裁委员会\n\n申请人（签名）：\n日期：",
            },
        ]
    elif kind == "payment_order":
        wanted = [c for c in case.claims.all() if c.category in PAYMENT_ORDER_CLAIMS]
        sections = [
            _parties(case),
            {
                "heading": "请求事项",
                "text": "\n".join(f"{c.get_category_display()}" for c in wanted)
                or "（本案请求不属于第十六条所列事项）",
            },
            {
                "heading": "事实与理由",
                "text": f"双方于{case.organisation.name}达成调解协议（案件编号 {case.number}），"
                "用人单位在协议约定期限内未履行。依据《劳动争议调解仲裁法》第十六条申请支付令。",
            },
            {"heading": "此致", "text": "深圳市福田区人民法院\n\n申请人（签名）：\n日期："},
        ]
    else:
        agreement = getattr(case, "agreement", None)
        deadline = agreements.confirmation_deadline(agreement) if agreement else None
        sections = [
            _parties(case),
            {
                "heading": "请求事项",
                "text": f"请求确认双方于{case.organisation.name}达成的调解协议（案件编号 {case.number}）有效。",
            },
            {
                "heading": "期限",
                "text": f"应自调解协议生效之日起三十日内共同提出；最后一日 {deadline:%Y年%m月%d日}。"
                if deadline
                else "调解协议尚未生效。",
            },
            {
                "heading": "此致",
                "text": "深圳市福田区人民法院\n\n申请人（签名）：          申请人（盖章）：\n日期：",
            },
        ]
    pdf = render_document(
        KINDS[kind], sections, {}, number=case.number, footer=f"{clock.ART_14.split(' / ')[0]}"
    ).pdf
    audit.record(
        "mediation.case.document",
        case,
        enterprise_id=case.enterprise_id,
        changes={"document": [None, kind]},
    )
    return pdf
