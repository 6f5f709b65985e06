"""HR pages of 福易签: the envelope list, a new envelope from a template, its detail and actions,
and an employment's lifecycle timeline (入/转/调/离).

Thin: the rules are in ``services``, ``drafting`` and ``lifecycle``; these views scope, call
them and render. Another enterprise's envelope or employment is a 404, never a 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accord.contracts import templates as contract_templates
from accord.contracts.errors import TEMPLATE_NOT_FOUND
from accord.contracts.models import LABOUR_CONTRACT_KINDS, DocumentKind
from accord.core.errors import (
    FORM_FIELD_INVALID,
    INVALID_FORM,
    AccordError,
    NotFound,
    Problem,
)
from accord.core.models import AuditEntry
from accord.core.pages import object_list, staff_page
from accord.core.roles import ENTERPRISE_RECORD_READS
from accord.core.scoping import get_scoped, scoped
from accord.envelopes import drafting, lifecycle, policy, services
from accord.envelopes.forms import KIND_LABELS, EnvelopeFieldsForm, EnvelopeFilter
from accord.envelopes.models import Envelope, Party, PartySignature
from accord.identity.models import Employment, Enterprise, Person, Role
from accord.seals import services as seals

LIST_ROLES = tuple(ENTERPRISE_RECORD_READS)
ALL_SEEING = policy.ALL_SEEING


# ---- scoping helpers ------------------------------------------------------------------------


def _own_enterprise(user, public_id) -> Enterprise:
    """An enterprise this user is HR of; anything else (another's, the bureau's view) is 404
    here: only the enterprise drafts and sends its documents."""
    enterprise = get_scoped(Enterprise, user, public_id)
    if enterprise.pk not in user.enterprise_ids:
        raise NotFound()
    return enterprise


def _envelope(user, public_id) -> Envelope:
    qs = scoped(Envelope, user).prefetch_related("documents", "parties__person", "parties__signers")
    return get_scoped(Envelope, user, public_id, qs)


def _sent_by_me(user, public_id) -> Envelope:
    envelope = _envelope(user, public_id)
    if not services.is_sender(user, envelope):
        raise NotFound()
    return envelope


# ---- the list -------------------------------------------------------------------------------


@staff_page(*LIST_ROLES)
def envelope_list(request: HttpRequest) -> HttpResponse:
    return object_list(
        request,
        model=Envelope,
        filterset_class=EnvelopeFilter,
        title=gettext_lazy("电子文件（福易签）"),
        columns=[
            ("number", gettext_lazy("编号")),
            ("title", gettext_lazy("标题")),
            ("worker", gettext_lazy("劳动者")),
            ("status", gettext_lazy("状态")),
            ("deadline", gettext_lazy("签署截止")),
        ],
        row_template="envelopes/hr/row.html",
        detail_url="envelopes:hr_detail",
    )


# ---- a new envelope -------------------------------------------------------------------------


def _people(enterprise: Enterprise, worker: Person) -> list[Person]:
    """Who may sign as the legal representative: people of the enterprise with a phone, the
    one named as its legal representative first."""
    people = list(
        services.enterprise_people(enterprise)
        .exclude(pk=worker.pk)
        .exclude(phone="")
        .order_by("name")[:200]
    )
    people.sort(key=lambda p: p.name != enterprise.legal_representative)
    return people


def _initial(employment: Employment, kind: str) -> dict:
    """Pre-fill from the employment and its latest signed labour contract."""
    contract = (
        Envelope.objects.filter(
            enterprise_id=employment.enterprise_id,
            person_id=employment.person_id,
            kind__in=LABOUR_CONTRACT_KINDS,
            status=Envelope.Status.COMPLETED,
        )
        .order_by("-completed_at")
        .only("values")
        .first()
    )
    values = contract.values if contract else {}
    initial = {
        "job_title": values.get("job.title") or employment.position,
        "place": values.get("job.place", ""),
        "start_date": employment.start_date if kind in (DocumentKind.OFFER,) else None,
        "hours_system": "standard",
    }
    if kind == DocumentKind.LEAVING_CERTIFICATE and employment.end_date:
        initial["leave_date"] = employment.end_date
    if kind == DocumentKind.CONFIRMATION and values.get("probation.end_date"):
        initial["confirm_date"] = values["probation.end_date"]
    return initial


def _field_errors(error: AccordError) -> dict[str, list[Problem]]:
    problems = error.problems or [
        Problem(error.code, error.message_zh, error.message_en, error.field)
    ]
    by_field: dict[str, list[Problem]] = {}
    for p in problems:
        by_field.setdefault(p.field or "", []).append(p)
    return by_field


def _new_context(request, enterprise, employment, kind, form, error=None) -> dict:
    problems = _field_errors(error) if error else {}
    for name in problems:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
            widget.attrs["aria-describedby"] = f"err-{name}"
    return {
        "rows": [
            (bf, problems.get(bf.name, []), bf.name in ("change_description", "leave_reason"))
            for bf in form.kind_fields()
        ],
        "party_rows": [
            (form[name], problems.get(name, []))
            for name in ("template_version", "title", "signers", "legal_rep", "deadline")
        ],
        "enterprise": enterprise,
        "employment": employment,
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind, kind),
        "is_labour_contract": kind in LABOUR_CONTRACT_KINDS,
        "form": form,
        "error": error,
        "problems": problems,
        "all_problems": [p for ps in problems.values() for p in ps],
        "needs_approval": seals.needs_approval(enterprise, kind),
    }


def _parties(form: EnvelopeFieldsForm, worker: Person) -> tuple[list, dict]:
    """The form's parties as the service takes them, and the form field of each."""
    specs = [
        services.PartySpec(
            Party.Role.ENTERPRISE, 1, signers=tuple(form.cleaned_data.get("signers") or ())
        )
    ]
    fields = {0: ("signers", "signers")}
    rep = form.cleaned_data.get("legal_rep")
    if rep:
        fields[len(specs)] = ("legal_rep", "legal_rep")
        specs.append(services.PartySpec(Party.Role.LEGAL_REPRESENTATIVE, 2, person=rep))
    specs.append(services.PartySpec(Party.Role.WORKER, len(specs) + 1, person=worker.public_id))
    return specs, fields


def _form_errors_as_error(form: EnvelopeFieldsForm) -> AccordError:
    problems = [
        FORM_FIELD_INVALID.problem(name, detail=str(message))
        for name, messages in form.errors.items()
        for message in messages
    ]
    return INVALID_FORM(problems[0].field, problems=problems)


@staff_page(Role.HR)
def envelope_new(request: HttpRequest, public_id) -> HttpResponse:
    enterprise = _own_enterprise(request.user, public_id)
    employment_id = request.GET.get("employment", "")
    if not employment_id:
        employees = Employment.objects.filter(enterprise=enterprise).select_related("person")[:100]
        return render(
            request,
            "envelopes/hr/choose_employee.html",
            {"enterprise": enterprise, "employees": employees},
        )
    try:
        employment = get_scoped(
            Employment,
            request.user,
            employment_id,
            Employment.objects.filter(enterprise=enterprise).select_related("person"),
        )
    except NotFound:
        raise Http404() from None
    kind = request.GET.get("kind", "")
    if kind not in DocumentKind.values:
        return redirect("envelopes:hr_timeline", public_id=employment.public_id)
    templates = list(contract_templates.usable_versions(enterprise, kind))
    form_kwargs: dict[str, Any] = {
        "kind": kind,
        "templates": templates,
        "hr_users": seals.sealing_users(enterprise),
        "people": _people(enterprise, employment.person),
    }
    if request.method == "POST":
        form = EnvelopeFieldsForm(request.POST, **form_kwargs)
        error: AccordError | None = None
        if not form.is_valid():
            error = _form_errors_as_error(form)
        else:
            specs, party_fields = _parties(form, employment.person)
            try:
                envelope, _created = drafting.draft(
                    enterprise=enterprise,
                    template_version=form.cleaned_data["template_version"],
                    employment=employment,
                    parties=specs,
                    party_fields=party_fields,
                    fields=form.structured(),
                    created_by=request.user,
                    deadline=form.deadline_at(),
                    title=form.cleaned_data.get("title", ""),
                    send=request.POST.get("action") == "send",
                )
            except AccordError as exc:
                error = exc
            else:
                if envelope.status == Envelope.Status.SENT:
                    messages.success(request, _("已发送，等待盖章和签署。"))
                else:
                    messages.success(request, _("已保存草稿。"))
                return redirect("envelopes:hr_detail", public_id=envelope.public_id)
        ctx = _new_context(request, enterprise, employment, kind, form, error)
        return render(request, "envelopes/hr/new.html", ctx, status=error.status)
    form = EnvelopeFieldsForm(initial=_initial(employment, kind), **form_kwargs)
    error = None  # the POST branch above returned
    try:
        lifecycle.require_fits(employment, kind)
    except AccordError as exc:
        error = exc
    if not templates and error is None:
        error = TEMPLATE_NOT_FOUND()
    ctx = _new_context(request, enterprise, employment, kind, form, error)
    ctx["blocked"] = error is not None
    return render(request, "envelopes/hr/new.html", ctx)


@staff_page(Role.HR)
@require_POST
def envelope_check(request: HttpRequest, public_id) -> HttpResponse:
    """The live legal check of the form (htmx): the problems that would stop the draft, each
    with its article — the same rules as the public check-up (LCL Art. 19, 20, 23–24, 68–72)."""
    enterprise = _own_enterprise(request.user, public_id)
    employment = get_scoped(
        Employment,
        request.user,
        request.GET.get("employment", ""),
        Employment.objects.filter(enterprise=enterprise).select_related("person"),
    )
    kind = request.GET.get("kind", "")
    form = EnvelopeFieldsForm(
        request.POST,
        kind=kind if kind in DocumentKind.values else DocumentKind.OFFER,
        templates=[],
        hr_users=[],
        people=[],
    )
    form.is_valid()  # fills cleaned_data with the fields that parse
    problems: list[Problem] = []
    checked = kind in LABOUR_CONTRACT_KINDS
    if checked:
        try:
            _draft, problems = drafting.legal_problems(
                kind, form.structured(), enterprise=enterprise, person=employment.person
            )
        except AccordError as exc:
            problems = exc.problems or [
                Problem(exc.code, exc.message_zh, exc.message_en, exc.field)
            ]
    return render(
        request,
        "envelopes/hr/_legal_check.html",
        {"problems": problems, "checked": checked},
    )


# ---- the detail and its actions -------------------------------------------------------------


ACTION_LABELS = {
    "envelopes.envelope.create": gettext_lazy("创建"),
    "envelopes.envelope.send": gettext_lazy("发送"),
    "envelopes.envelope.complete": gettext_lazy("全部签署完成"),
    "envelopes.envelope.remind": gettext_lazy("发送提醒"),
    "envelopes.envelope.rejected": gettext_lazy("被拒签"),
    "envelopes.envelope.withdrawn": gettext_lazy("撤回"),
    "envelopes.envelope.voided": gettext_lazy("作废"),
    "envelopes.envelope.expired": gettext_lazy("逾期未签"),
    "envelopes.document.download": gettext_lazy("查看或下载文件"),
    "envelopes.party.ready": gettext_lazy("轮到签署方签署"),
    "envelopes.party.view": gettext_lazy("签署方查看文件"),
    "envelopes.party.consent": gettext_lazy("签署方同意以电子形式订立"),
    "envelopes.party.signature_image": gettext_lazy("签署方手写签名"),
    "envelopes.party.sign": gettext_lazy("签署方签署"),
    "envelopes.party.reject": gettext_lazy("签署方拒签"),
}


def _history(envelope: Envelope) -> list[AuditEntry]:
    """Every audit entry of the envelope and its parties, oldest first, with a readable label."""
    parties = {str(p.public_id): p for p in envelope.parties.all()}
    ids = [str(envelope.public_id), *parties]
    entries = list(AuditEntry.objects.filter(object_id__in=ids).order_by("at", "id")[:200])
    for entry in entries:
        label = ACTION_LABELS.get(entry.action, entry.action)
        party = parties.get(entry.object_id)
        if party is not None:
            label = f"{label}（{party.get_role_display()}）"
        entry.label = label  # type: ignore[attr-defined]
        reason = (entry.changes or {}).get("reason")
        has_reason = isinstance(reason, list) and len(reason) > 1
        entry.reason = reason[1] if has_reason else ""  # type: ignore[attr-defined,index]
    return entries


def _detail(request: HttpRequest, envelope: Envelope, error=None) -> HttpResponse:
    """The envelope and the actions policy allows this user, each drawn from policy."""
    user = request.user
    actions = policy.envelope_actions(user, envelope)
    needs_approval = bool(actions.seal) and services.needs_seal_approval(envelope)
    approvals = (
        seals.approvals_of_documents(
            envelope.enterprise, [d.current_sha256 for d in envelope.documents.all()]
        )
        if needs_approval
        else []
    )
    signatures = list(
        PartySignature.objects.filter(party__envelope=envelope)
        .select_related("party", "document", "signature")
        .order_by("id")
    )
    ctx = {
        "envelope": envelope,
        "kind_label": KIND_LABELS.get(envelope.kind, envelope.kind),
        "documents": list(envelope.documents.all()),
        "parties": list(envelope.parties.all()),
        "signatures": signatures,
        "history": _history(envelope),
        "sender": policy.is_sender(user, envelope),
        "actions": actions,
        "can_send": actions.send.allowed,
        "can_withdraw": actions.withdraw.allowed,
        "can_void": actions.void.allowed,
        "can_seal": actions.seal.allowed,
        "can_download_evidence": actions.evidence_report.allowed,
        "needs_approval": needs_approval,
        "approvals": approvals,
        "approval_open": any(a.status in ("pending", "approved") for a in approvals),
        "approved": any(a.status == "approved" for a in approvals),
        "may_see_document": policy.may_see_document(user, envelope),
        "error": error,
    }
    return render(request, "envelopes/hr/detail.html", ctx, status=error.status if error else 200)


@staff_page()
def envelope_detail(request: HttpRequest, public_id) -> HttpResponse:
    user = request.user
    envelope = _envelope(user, public_id)
    if not (services.is_sender(user, envelope) or user.has_role(*ALL_SEEING)):
        # A worker's own envelope (the completion notice links here): their signing page.
        party = services.party_of(user, envelope)
        if party is None:
            raise NotFound()
        return redirect(f"/my/sign/{party.public_id}")
    return _detail(request, envelope)


def _act(request: HttpRequest, public_id, action) -> HttpResponse:
    envelope = _sent_by_me(request.user, public_id)
    try:
        message = action(envelope)
    except AccordError as exc:
        return _detail(request, _envelope(request.user, public_id), error=exc)
    messages.success(request, message)
    return redirect("envelopes:hr_detail", public_id=envelope.public_id)


@staff_page(Role.HR)
@require_POST
def envelope_send(request: HttpRequest, public_id) -> HttpResponse:
    def send(envelope):
        services.send_envelope(envelope, actor=request.user)
        return _("已发送，等待盖章和签署。")

    return _act(request, public_id, send)


@staff_page(Role.HR)
@require_POST
def envelope_seal(request: HttpRequest, public_id) -> HttpResponse:
    """The enterprise seals with a fresh TOTP code (Electronic Signature Law Art. 13)."""

    def seal(envelope):
        services.seal(envelope, user=request.user, otp_token=request.POST.get("otp", "").strip())
        return _("已盖章。")

    return _act(request, public_id, seal)


@staff_page(Role.HR)
@require_POST
def envelope_request_approval(request: HttpRequest, public_id) -> HttpResponse:
    def ask(envelope):
        services.request_seal_approval(envelope, user=request.user)
        return _("已提交用印审批申请。")

    return _act(request, public_id, ask)


@staff_page(Role.HR)
@require_POST
def envelope_withdraw(request: HttpRequest, public_id) -> HttpResponse:
    def withdraw(envelope):
        services.withdraw(envelope, user=request.user, reason=request.POST.get("reason", ""))
        return _("已撤回。")

    return _act(request, public_id, withdraw)


@staff_page(Role.HR)
@require_POST
def envelope_void(request: HttpRequest, public_id) -> HttpResponse:
    def void(envelope):
        services.void(envelope, user=request.user, reason=request.POST.get("reason", ""))
        return _("已作废。")

    return _act(request, public_id, void)


# ---- the lifecycle timeline -----------------------------------------------------------------


@staff_page()
def employment_timeline(request: HttpRequest, public_id) -> HttpResponse:
    user = request.user
    employment = lifecycle.employment_for_documents(user, public_id)
    is_hr = employment.enterprise_id in user.enterprise_ids
    steps = lifecycle.next_steps_for(user, employment)
    stages: list[tuple[str, list]] = []
    for step in steps:
        if not stages or stages[-1][0] != step.stage:
            stages.append((step.stage, []))
        stages[-1][1].append(step)
    new_url = reverse("envelopes:hr_new", args=[employment.enterprise.public_id])
    return render(
        request,
        "envelopes/hr/timeline.html",
        {
            "employment": employment,
            "events": lifecycle.timeline(employment, scoped(Envelope, user)),
            "stages": [(lifecycle.STAGE_LABELS[name], items) for name, items in stages],
            "kind_labels": KIND_LABELS,
            "new_url": f"{new_url}?employment={employment.public_id}",
            "is_hr": is_hr,
        },
    )
