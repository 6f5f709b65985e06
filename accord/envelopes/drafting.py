"""From a published template and structured fields to a rendered, legally checked document.

Structured fields are the check-up's (合同体检) names — ``term_type``, ``start_date``,
``end_date``, ``probation_end_date``, ``monthly_wage``, ``probation_wage``, ``hourly_wage`` … —
plus the job, place, hours and the lifecycle documents' own fields. A labour contract is checked
by the same rules as the public check-up (LCL Art. 19, 20, 23–24, 68–72) before it can be
created: an unlawful draft is refused with every problem and its article.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accord.contracts import checkup, rules, templates
from accord.contracts.models import LABOUR_CONTRACT_KINDS, DocumentKind, TemplateVersion
from accord.contracts.render import render_pdf
from accord.core.errors import INVALID_DATE, INVALID_VALUE, TOO_LONG, Problem
from accord.envelopes import errors, history, services
from accord.envelopes.models import Envelope
from accord.identity.models import Employment, Enterprise, Person

TERM_LABELS = {
    "fixed": "固定期限",
    "open_ended": "无固定期限",
    "task": "以完成一定工作任务为期限",
    "part_time": "非全日制用工",
}
HOURS_LABELS = {
    "standard": "标准工时制",
    "comprehensive": "综合计算工时工作制",
    "flexible": "不定时工作制",
}
TEXT_FIELDS = {
    # field -> placeholder
    "job_title": "job.title",
    "place": "job.place",
    "hours_description": "hours.description",
    "pay_day": "pay.day",
    "social_insurance": "social_insurance.description",
    "protection": "protection.description",
    "worker_address": "worker.address",
    "change_description": "change.description",
    "leave_reason": "leave.reason",
}
DATE_FIELDS = {
    "change_effective_date": "change.effective_date",
    "leave_date": "leave.date",
    "confirm_date": "confirm.date",
    "renewal_end_date": "renewal.end_date",
}
MAX_TEXT = 2000


def _yuan(value: Decimal | None) -> str:
    # The templates write 元 after the placeholder themselves.
    return "" if value is None else f"{value:,.2f}"


def _latest_probation_end(enterprise: Enterprise, person: Person) -> str:
    latest = (
        Envelope.objects.filter(
            enterprise=enterprise,
            person=person,
            kind__in=LABOUR_CONTRACT_KINDS,
            status=Envelope.Status.COMPLETED,
        )
        .order_by("-completed_at")
        .values_list("values", flat=True)
        .first()
    )
    return (latest or {}).get("probation.end_date", "")


def legal_problems(
    kind: str,
    fields: dict[str, Any],
    *,
    enterprise: Enterprise,
    person: Person,
    employment: Employment | None = None,
) -> tuple[rules.ContractDraft | None, list[Problem]]:
    """The labour-law findings that stop a labour contract draft (errors, not warnings).

    The worker's history here comes from the platform's records (envelopes.history): one
    probation (LCL Art. 19 ¶2), a first written contract concluded late (Art. 10, 14 ¶3, 82),
    the right to an open-ended contract (Art. 14 ¶2); HR's fields may add to it, never erase it."""
    if kind not in LABOUR_CONTRACT_KINDS and kind != DocumentKind.RENEWAL:
        return None, []
    if employment is None:
        employment = (
            Employment.objects.filter(enterprise=enterprise, person=person, end_date__isnull=True)
            .order_by("-start_date")
            .first()
        )
    past = history.history_of(enterprise, person.pk, employment)
    data = history.with_history(fields, past)
    today = timezone.localdate()
    # A contract drafted now is concluded today at the earliest: what HR says of the signing
    # day cannot make a late contract look timely (LCL Art. 10, 82).
    data["signing_date"] = today.isoformat()
    if kind == DocumentKind.RENEWAL:
        return None, _problems(rules.renewal_findings(_renewal_draft(data, past, today)))
    draft = checkup.parse_draft(data)  # malformed fields raise InvalidInput, every one listed
    return draft, _problems(checkup.findings(draft, today))


def _problems(findings: list[rules.Finding]) -> list[Problem]:
    return [
        Problem(f.code, f.message_zh, f.message_en, f.field, article=f.article)
        for f in findings
        if f.severity == "error"
    ]


def _renewal_draft(
    data: dict[str, Any], past: history.History, today: dt.date
) -> rules.ContractDraft:
    """A renewal (续订书) as the fixed term it concludes, for LCL Art. 14 ¶2: from today to its
    end date, with the worker's history (the renewed contract counts as a fixed term)."""
    end = data.get("renewal_end_date")
    try:
        end_date = dt.date.fromisoformat(str(end)) if end else None
    except ValueError as exc:
        raise INVALID_DATE("renewal_end_date") from exc
    parsed = checkup.parse_draft(
        {
            "term_type": "fixed",
            "start_date": today.isoformat(),
            "service_start_date": min(past.service_start, today).isoformat()
            if past.service_start
            else "",
            "consecutive_fixed_terms": data.get("consecutive_fixed_terms") or 0,
            "worker_requested_fixed_term": data.get("worker_requested_fixed_term") or False,
        }
    )
    parsed.end_date = end_date
    return parsed


def values_for(
    *,
    enterprise: Enterprise,
    person: Person,
    fields: dict[str, Any],
    draft: rules.ContractDraft | None,
    number: str,
) -> dict[str, str]:
    values: dict[str, str] = {
        "employer.name": enterprise.name,
        "employer.uscc": enterprise.uscc,
        "employer.address": enterprise.address,
        "employer.legal_representative": enterprise.legal_representative,
        "worker.name": person.name,
        "worker.id_number": person.id_number,
        "worker.phone": person.phone,
        "document.number": number,
        "document.date": f"{timezone.localdate():%Y年%m月%d日}",
    }
    for field, placeholder in TEXT_FIELDS.items():
        text = str(fields.get(field) or "").strip()
        if len(text) > MAX_TEXT:
            raise TOO_LONG(field, max_length=MAX_TEXT)
        if text:
            values[placeholder] = text
    for field, placeholder in DATE_FIELDS.items():
        raw = fields.get(field)
        if raw:
            try:
                day = dt.date.fromisoformat(str(raw))
            except ValueError as exc:
                raise INVALID_DATE(field) from exc
            values[placeholder] = day.isoformat()
    hours = str(fields.get("hours_system") or "standard")
    values["hours.system"] = HOURS_LABELS.get(hours, hours[:50])
    if draft is not None:
        values["term.type"] = TERM_LABELS[draft.term_type]
        values["term.start_date"] = draft.start_date.isoformat()
        if draft.end_date:
            values["term.end_date"] = draft.end_date.isoformat()
        term = TERM_LABELS[draft.term_type]
        if draft.term_type == "fixed" and draft.end_date:
            term += f"，自 {draft.start_date:%Y年%m月%d日} 起至 {draft.end_date:%Y年%m月%d日} 止"
        else:
            term += f"，自 {draft.start_date:%Y年%m月%d日} 起"
        values["term"] = term
        if draft.probation_end_date:
            values["probation.end_date"] = draft.probation_end_date.isoformat()
            values["probation"] = (
                f"自 {draft.start_date:%Y年%m月%d日} 起至 "
                f"{draft.probation_end_date:%Y年%m月%d日} 止（包含在劳动合同期限内）"
            )
            values["probation.wage"] = _yuan(draft.probation_wage)
        else:
            # No probation: the probation wage is no field at all, so its sentence is left out.
            values["probation"] = "不约定"
        values["pay.monthly_wage"] = _yuan(draft.monthly_wage)
        values["pay.hourly_wage"] = _yuan(draft.hourly_wage)
        if draft.non_compete_months:
            values["non_compete.months"] = str(draft.non_compete_months)
    else:
        # Lifecycle documents (offer, certificate of leaving …) quote a start date and a wage.
        if fields.get("start_date"):
            values["term.start_date"] = str(fields["start_date"])[:10]
        if fields.get("monthly_wage"):
            try:
                values["pay.monthly_wage"] = _yuan(Decimal(str(fields["monthly_wage"])))
            except ArithmeticError as exc:
                raise INVALID_VALUE(
                    "monthly_wage",
                    detail_zh="金额应为数字（元）",
                    detail_en="amounts are numbers in yuan",
                ) from exc
        if fields.get("probation_end_date"):
            values["probation.end_date"] = str(fields["probation_end_date"])[:10]
    return values


def create_from_template(
    *,
    enterprise: Enterprise,
    person: Person,
    version: TemplateVersion,
    fields: dict[str, Any],
    created_by=None,
    parties: list[services.PartyInput] | None = None,
    deadline: dt.datetime | None = None,
    employment: Employment | None = None,
    title: str = "",
    idempotency_key: str = "",
    batch=None,
    send: bool = False,
) -> Envelope:
    """Check, render and create (and optionally send) an envelope from a published template.

    Every rule is checked before anything is rendered: the template version is one this
    enterprise may use, the document fits the employment (入/转/调/离, LCL Art. 50), a labour
    contract is lawful (LCL Art. 19, 20, 23–24, 68–72) and the worker's only one from its start."""
    version = templates.usable_version(enterprise, version.public_id)
    existing = services.find_by_idempotency_key(enterprise, idempotency_key)
    if existing is not None:
        return existing
    template = version.template
    employment = services.employment_for(enterprise, person, employment)
    fields = dict(fields)
    if employment is not None and not fields.get("start_date"):
        fields["start_date"] = str(employment.start_date)[:10]
    if template.kind == "confirmation" and not fields.get("probation_end_date"):
        fields["probation_end_date"] = _latest_probation_end(enterprise, person)
    services.require_draftable(
        enterprise=enterprise,
        person=person,
        kind=template.kind,
        employment=employment,
        start_date=fields.get("start_date"),
    )
    draft, problems = legal_problems(
        template.kind, fields, enterprise=enterprise, person=person, employment=employment
    )
    if problems:
        raise errors.UNLAWFUL_DRAFT(
            problems[0].field,
            problems=problems,
            first_zh=problems[0].message_zh,
            first_en=problems[0].message_en,
        )
    number = services.new_number()
    values = values_for(
        enterprise=enterprise, person=person, fields=fields, draft=draft, number=number
    )
    pdf = render_pdf(
        version.title,
        version.sections,
        values,
        number=number,
        footer=f"{template.name} v{version.number}",
    )
    stored = {k: v for k, v in values.items() if k not in ("worker.id_number", "worker.phone")}
    envelope = services.create_envelope(
        enterprise=enterprise,
        person=person,
        title=title or f"{version.title}（{person.name}）",
        kind=template.kind,
        documents=[services.DocumentInput(version.title, template.kind, pdf)],
        created_by=created_by,
        parties=parties,
        deadline=deadline,
        employment=employment,
        template_version=version,
        values=stored,
        idempotency_key=idempotency_key,
        batch=batch,
        send=send,
        number=number,
        checked=True,
    )
    return envelope


def draft(
    *,
    enterprise: Enterprise,
    template_version,
    fields: dict[str, Any],
    employment=None,
    person=None,
    parties: list[services.PartySpec] | None = None,
    party_fields: dict | None = None,
    created_by=None,
    deadline: dt.datetime | None = None,
    title: str = "",
    idempotency_key: str = "",
    send: bool = False,
) -> tuple[Envelope, bool]:
    """A request's envelope — the page's form or the API's body — with everything it names
    (template version, employment, person, parties) looked up within ``enterprise`` only:
    another enterprise's is "not found". Returns the envelope and whether it is new (the same
    ``idempotency_key`` again returns the first one)."""
    existing = services.find_by_idempotency_key(enterprise, idempotency_key)
    if existing is not None:
        return existing, False
    version = templates.usable_version(enterprise, template_version)
    if employment:
        job = employment if isinstance(employment, Employment) else None
        job = job or services.enterprise_employment(enterprise, employment)
        worker = job.person
    elif person:
        job = None
        worker = services.enterprise_person(enterprise, person, "person")
    else:
        raise errors.WORKER_REQUIRED()
    resolved = (
        services.resolve_parties(enterprise, worker, parties, fields=party_fields)
        if parties is not None
        else None
    )
    envelope = create_from_template(
        enterprise=enterprise,
        person=worker,
        version=version,
        fields=fields,
        created_by=created_by,
        parties=resolved,
        deadline=deadline,
        employment=job,
        title=title,
        idempotency_key=idempotency_key,
        send=send,
    )
    return envelope, True
