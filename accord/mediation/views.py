"""Mediation pages: cases (list, detail with the actions the policy allows), applications (a
worker on a phone with a texted code, HR, staff recording an oral one), the progress page,
mediators, organisations, statistics with charts, the time-limit self-check, meeting rooms.
Each handler: scope → parse → one service call → render."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from accord.core.errors import INVALID_DATE, INVALID_NUMBER, AccordError, NotFound
from accord.core.middleware import client_ip
from accord.core.pages import object_list, staff_page
from accord.core.roles import DISTRICT_READS, Role
from accord.core.scoping import get_scoped, scoped
from accord.identity.models import Organisation
from accord.identity.reference import ORGANISATION_KINDS, STREETS
from accord.identity.selectors import managed_enterprise
from accord.mediation import errors, policy, services
from accord.mediation.filters import CaseFilter, MediatorFilter
from accord.mediation.models import (
    MONEY_CLAIMS,
    Case,
    ClaimCategory,
    ClockEvent,
    Instalment,
    Mediator,
    Session,
)
from accord.mediation.services import documents, stats

VERIFIED_PHONE = "mediation_verified_phone"  # session: (blind index, phone, until)
VERIFIED_MINUTES = 30


# ---- helpers: parsing the forms -------------------------------------------------------------


def _date(value: str, field: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    day = parse_date(value)
    if day is None:
        raise INVALID_DATE(field=field)
    return day


def _fen(value: str, field: str) -> int | None:
    """Yuan as people write it (1234.5) to whole fen."""
    value = (value or "").replace(",", "").replace("，", "").strip()
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise INVALID_NUMBER(field=field) from None
    return int((amount * 100).to_integral_value())


def _claims(post) -> list[services.ClaimInput]:
    return [
        services.ClaimInput(
            category=code,
            amount_fen=_fen(post.get(f"amount_{code}", ""), f"amount_{code}"),
            description=post.get(f"note_{code}", ""),
        )
        for code in post.getlist("claims")
    ]


def _application(post, channel: str, **extra) -> services.Application:
    reps = [
        (name, phone)
        for name, phone in zip(post.getlist("rep_name"), post.getlist("rep_phone"), strict=False)
        if name.strip()
    ]
    try:
        worker_count = int(post.get("worker_count") or 1)
    except ValueError:
        raise INVALID_NUMBER(field="worker_count") from None
    return services.Application(
        channel=channel,
        worker_name=post.get("worker_name", ""),
        enterprise_name=post.get("enterprise_name", ""),
        facts=post.get("facts", ""),
        claims=_claims(post),
        worker_phone=post.get("worker_phone", ""),
        worker_id_number=post.get("worker_id_number", ""),
        street=post.get("street", ""),
        employment_started_on=_date(post.get("employment_started_on", ""), "employment_started_on"),
        employment_ended_on=_date(post.get("employment_ended_on", ""), "employment_ended_on"),
        knew_on=_date(post.get("knew_on", ""), "knew_on"),
        migrant_worker=post.get("migrant_worker") == "on",
        collective=post.get("collective") == "on",
        worker_count=worker_count,
        representatives=reps,
        **extra,
    )


def _form_context(request, **more) -> dict:
    return {
        "claim_choices": ClaimCategory.choices,
        "money_claims": [str(c) for c in MONEY_CLAIMS],
        "streets": [(code, zh) for code, zh, _en in STREETS],
        "post": request.POST,
        "chosen": request.POST.getlist("claims"),
        **more,
    }


def _verified_phone(request) -> tuple[str, str]:
    """(blind index, phone) confirmed by a code in this session in the last 30 minutes."""
    held = request.session.get(VERIFIED_PHONE)
    if not held or held[2] < timezone.now().timestamp():
        return "", ""
    return held[0], held[1]


def _verify_phone(request, phone: str, code: str) -> str:
    index = services.check_phone_code(phone, code)
    until = (timezone.now() + dt.timedelta(minutes=VERIFIED_MINUTES)).timestamp()
    request.session[VERIFIED_PHONE] = (index, phone.strip(), until)
    return index


# ---- cases --------------------------------------------------------------------------------


@staff_page()
def case_list(request: HttpRequest) -> HttpResponse:
    return object_list(
        request,
        model=Case,
        filterset_class=CaseFilter,
        title=gettext_lazy("调解案件"),
        columns=[
            ("number", gettext_lazy("案件编号")),
            ("parties", gettext_lazy("当事人")),
            ("organisation", gettext_lazy("调解组织")),
            ("status", gettext_lazy("状态")),
            ("deadline", gettext_lazy("调解期限")),
        ],
        row_template="mediation/rows/case.html",
        detail_url="mediation:case_detail",
    )


def _case_context(request, case: Case) -> dict:
    today = timezone.localdate()
    agreement = getattr(case, "agreement", None)
    actor = request.user
    handles = policy.handles(actor, case)
    mediators = []
    if handles and "assign" in policy.case_actions(actor, case):
        mediators = list(
            services.with_workload(
                Mediator.objects.filter(
                    organisation=case.organisation, status="active"
                ).select_related("person"),
                today.year,
            ).order_by("open_cases")
        )
    return {
        "case": case,
        "clock": services.case_clock(case, today),
        "actions": policy.case_actions(actor, case, agreement=agreement, today=today),
        "handles": handles,
        "agreement": agreement,
        "confirmation_deadline": services.confirmation_deadline(agreement) if agreement else None,
        "instalments": list(agreement.instalments.all()) if agreement else [],
        "overdue": policy.agreement_overdue(agreement, today) if agreement else False,
        "mediators": mediators,
        "contracts": list(services.signed_contracts_of(case))
        if policy.is_worker_party(actor, case)
        else [],
        "sessions": list(case.sessions.all()),
        "evidence": list(case.evidence.all()),
        "events": list(case.clock_events.all()),
        "event_kinds": [
            (k, v) for k, v in ClockEvent.Kind.choices if k != ClockEvent.Kind.EXTENSION
        ],
        "today": today,
        "document_kinds": documents.KINDS,
    }


@staff_page()
def case_detail(request: HttpRequest, public_id) -> HttpResponse:
    case = get_scoped(Case, request.user, public_id)
    services.record_view(case, request.user)
    return render(request, "mediation/case_detail.html", _case_context(request, case))


ACTIONS = {
    "accept",
    "decline",
    "assign",
    "schedule",
    "record",
    "extend",
    "clock_event",
    "end",
    "withdraw",
    "refer",
    "agree",
    "evidence",
    "contract",
    "paid",
}


@staff_page()
@require_POST
def case_action(request: HttpRequest, public_id, action: str) -> HttpResponse:
    case = get_scoped(Case, request.user, public_id)
    if action not in ACTIONS:
        raise NotFound()
    user, post = request.user, request.POST
    try:
        if action == "accept":
            services.accept(case, actor=user)
        elif action == "decline":
            services.decline(case, actor=user, reason=post.get("reason", ""))
        elif action == "assign":
            mediator = None
            if post.get("mediator"):
                mediator = Mediator.objects.filter(public_id=post["mediator"]).first()
                if mediator is None:
                    raise errors.MEDIATOR_NOT_FOUND()
            services.assign(case, actor=user, mediator=mediator)
        elif action == "schedule":
            starts = parse_datetime(post.get("starts_at", "") or "")
            if starts is None:
                raise INVALID_DATE(field="starts_at")
            services.schedule_session(
                case,
                actor=user,
                starts_at=starts,
                mode=post.get("mode", ""),
                place=post.get("place", ""),
            )
        elif action == "record":
            session = get_scoped(Session, user, post.get("session", ""))
            services.record_session(
                session,
                actor=user,
                minutes=post.get("minutes", ""),
                present=post.get("present", "").replace("，", ",").split(","),
            )
        elif action == "extend":
            try:
                days = int(post.get("days") or 0)
            except ValueError:
                raise INVALID_NUMBER(field="days") from None
            services.extend(
                case,
                actor=user,
                days=days,
                both_agreed=post.get("both_agreed") == "on",
                note=post.get("note", ""),
            )
        elif action == "clock_event":
            on = _date(post.get("on", ""), "on")
            if on is None:
                raise INVALID_DATE(field="on")
            services.record_clock_event(
                case, actor=user, kind=post.get("kind", ""), on=on, note=post.get("note", "")
            )
        elif action == "end":
            services.end(case, actor=user, reason=post.get("reason", ""))
        elif action == "withdraw":
            services.withdraw(case, actor=user, reason=post.get("reason", ""))
        elif action == "refer":
            services.refer(case, actor=user)
        elif action == "agree":
            instalments = []
            for due, amount in zip(post.getlist("due_on"), post.getlist("amount"), strict=False):
                if not due.strip() and not amount.strip():
                    continue
                day = _date(due, "instalments")
                fen = _fen(amount, "instalments")
                if day is None or fen is None:
                    raise errors.INSTALMENTS_INVALID()
                instalments.append(services.InstalmentInput(day, fen))
            services.draft_agreement(
                case, actor=user, terms=post.get("terms", ""), instalments=instalments
            )
        elif action == "evidence":
            upload = request.FILES.get("file")
            if upload is None:
                raise errors.UPLOAD_TYPE()
            if upload.size > services.MAX_EVIDENCE_BYTES:
                raise errors.UPLOAD_TOO_LARGE(max_mb=services.MAX_EVIDENCE_BYTES // 1048576)
            services.add_evidence(
                case,
                actor=user,
                name=upload.name,
                data=upload.read(),
                content_type=upload.content_type or "",
            )
        elif action == "contract":
            services.offer_contract(case, actor=user, envelope_public_id=post.get("envelope"))
        elif action == "paid":
            agreement = getattr(case, "agreement", None)
            instalment = (
                Instalment.objects.filter(agreement=agreement, public_id=post.get("instalment"))
                .select_related("agreement__case")
                .first()
                if agreement
                else None
            )
            if instalment is None:
                raise NotFound()
            paid_on = _date(post.get("paid_on", ""), "paid_on") or timezone.localdate()
            services.mark_paid(instalment, actor=user, paid_on=paid_on)
    except AccordError as error:
        if error.status == 404:
            raise
        case.refresh_from_db()
        ctx = _case_context(request, case)
        ctx["error"] = error
        return render(request, "mediation/case_detail.html", ctx, status=error.status)
    messages.success(request, _("已保存。"))
    return redirect("mediation:case_detail", case.public_id)


@staff_page()
def case_document(request: HttpRequest, public_id, kind: str) -> HttpResponse:
    case = get_scoped(Case, request.user, public_id)
    if kind not in documents.KINDS:
        raise NotFound()
    pdf = documents.render(case, kind, viewer=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}-{kind}.pdf"'
    return response


@staff_page(Role.HR, Role.MEDIATOR, Role.BUREAU_OFFICER, Role.ADMIN, Role.WORKER)
def case_new(request: HttpRequest) -> HttpResponse:
    """HR applies for its enterprise; staff record an oral application (Art. 12); a logged-in
    worker applies for themselves."""
    user = request.user
    enterprises = []
    if user.has_role(Role.HR):
        enterprises = list(user.memberships_list)
    channel = (
        Case.Channel.ORAL
        if policy.records_oral_applications(user)
        else Case.Channel.EMPLOYER
        if user.enterprise_ids
        else Case.Channel.WORKER_ONLINE
    )
    ctx = _form_context(
        request,
        channel=channel,
        enterprises=[m.enterprise for m in enterprises if m.enterprise_id],
        today=timezone.localdate(),
    )
    if request.method != "POST":
        return render(request, "mediation/case_new.html", ctx)
    try:
        extra: dict = {}
        if channel == Case.Channel.EMPLOYER:
            extra["enterprise"] = managed_enterprise(user, request.POST.get("enterprise", ""))
        elif channel == Case.Channel.ORAL:
            received = parse_datetime(request.POST.get("received_at", "") or "")
            extra["received_at"] = (
                timezone.make_aware(received)
                if received and timezone.is_naive(received)
                else received
            )
            if user.organisation_ids:
                extra["organisation"] = Organisation.objects.get(pk=min(user.organisation_ids))
        else:
            extra["worker"] = user.person
        case = services.submit_application(_application(request.POST, channel, **extra), actor=user)
    except AccordError as error:
        if error.status == 404:
            raise
        ctx["error"] = error
        return render(request, "mediation/case_new.html", ctx, status=error.status)
    messages.success(request, _("申请已提交，案件编号 %(n)s。") % {"n": case.number})
    return redirect("mediation:case_detail", case.public_id)


# ---- a worker on a phone, no account: apply and follow --------------------------------------


def apply(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone and a texted code; step 2: the application."""
    index, phone = _verified_phone(request)
    ctx = _form_context(request, phone=phone, today=timezone.localdate())
    if request.method == "POST":
        step = request.POST.get("step")
        try:
            if step == "send":
                services.send_phone_code(request.POST.get("phone", ""), client_ip(request))
                ctx.update(code_sent=True, phone=request.POST.get("phone", ""))
            elif step == "verify":
                _verify_phone(request, request.POST.get("phone", ""), request.POST.get("code", ""))
                return redirect("mediation:apply")
            elif step == "apply" and index:
                post = request.POST.copy()
                post["worker_phone"] = phone
                case = services.submit_application(
                    _application(post, Case.Channel.WORKER_ONLINE), verified_phone_index=index
                )
                request.session["mediation_case"] = case.number
                return redirect(reverse("mediation:progress") + f"?number={case.number}")
            else:
                raise errors.PHONE_NOT_VERIFIED()
        except AccordError as error:
            ctx["error"] = error
            ctx["code_sent"] = step in ("verify",)
            ctx["phone"] = phone or request.POST.get("phone", "")
            return render(request, "mediation/apply.html", ctx, status=error.status)
    return render(request, "mediation/apply.html", ctx)


def progress(request: HttpRequest) -> HttpResponse:
    """The applicant follows their case by its number and the phone confirmed by code."""
    index, phone = _verified_phone(request)
    number = (request.POST.get("number") or request.GET.get("number") or "").strip().upper()
    ctx: dict = {"number": number, "phone": phone}
    try:
        if request.method == "POST" and request.POST.get("step") == "send":
            services.send_phone_code(request.POST.get("phone", ""), client_ip(request))
            ctx.update(code_sent=True, phone=request.POST.get("phone", ""))
        elif request.method == "POST" and request.POST.get("step") == "verify":
            index = _verify_phone(
                request, request.POST.get("phone", ""), request.POST.get("code", "")
            )
        if index and number:
            case = services.require_number_and_phone(number, index)
            services.record_view(case, None)
            ctx.update(case=case, clock=services.case_clock(case), sessions=case.sessions.all())
    except AccordError as error:
        ctx["error"] = error
        return render(request, "mediation/progress.html", ctx, status=error.status)
    return render(request, "mediation/progress.html", ctx)


# ---- the public time-limit self-check -------------------------------------------------------


def time_limits(request: HttpRequest) -> HttpResponse:
    ctx: dict = {"claim_choices": ClaimCategory.choices, "post": request.GET}
    if request.GET.get("claim"):
        try:
            interruptions = [
                d
                for d in (_date(v, "interruptions") for v in request.GET.getlist("interruption"))
                if d
            ]
            ctx["result"] = services.time_limits(
                claim=request.GET.get("claim", ""),
                knew_on=_date(request.GET.get("knew_on", ""), "knew_on"),
                employment_ended_on=_date(
                    request.GET.get("employment_ended_on", ""), "employment_ended_on"
                ),
                received_on=_date(request.GET.get("received_on", ""), "received_on"),
                interruptions=interruptions,
            )
        except AccordError as error:
            ctx["error"] = error
            return render(request, "mediation/time_limits.html", ctx, status=error.status)
    return render(request, "mediation/time_limits.html", ctx)


# ---- meeting rooms (the local meeting provider) --------------------------------------------


def meeting_room(request: HttpRequest, room: str) -> HttpResponse:
    session = (
        Session.objects.filter(room=room, mode=Session.Mode.ONLINE).select_related("case").first()
    )
    if session is None:
        raise NotFound()
    joined = False
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip()
        if not name:
            return render(
                request, "mediation/meeting.html", {"session": session, "missing": True}, status=422
            )
        services.join_room(room, name=name, side=request.POST.get("side", ""))
        joined = True
    return render(
        request,
        "mediation/meeting.html",
        {"session": session, "joined": joined, "joins": session.joins.all() if joined else []},
    )


# ---- mediators, organisations, statistics --------------------------------------------------


@staff_page()
def mediator_list(request: HttpRequest) -> HttpResponse:
    return object_list(
        request,
        model=Mediator,
        filterset_class=MediatorFilter,
        title=gettext_lazy("调解员名册"),
        columns=[
            ("name", gettext_lazy("姓名")),
            ("number", gettext_lazy("备案编号")),
            ("organisation", gettext_lazy("调解组织")),
            ("status", gettext_lazy("状态")),
        ],
        row_template="mediation/rows/mediator.html",
        detail_url="mediation:mediator_detail",
    )


@staff_page()
def mediator_detail(request: HttpRequest, public_id) -> HttpResponse:
    year = timezone.localdate().year
    qs = services.with_workload(scoped(Mediator, request.user), year)
    mediator = get_scoped(Mediator, request.user, public_id, queryset=qs)
    cases = scoped(Case, request.user).filter(mediator=mediator).order_by("-received_at")[:50]
    return render(
        request,
        "mediation/mediator_detail.html",
        {
            "mediator": mediator,
            "cases": cases,
            "trainings": mediator.trainings.all()[:20],
            "required_hours": services.YEARLY_TRAINING_HOURS,
            "year": year,
            "qualifications": [
                str(Mediator.Qualification(q).label)
                for q in mediator.qualifications
                if q in Mediator.Qualification.values
            ],
        },
    )


def organisation_list(request: HttpRequest) -> HttpResponse:
    """The public registry of the 26 organisations, with their registered mediators."""
    orgs = (
        Organisation.objects.select_related("street")
        .annotate(mediator_count=Count("mediators"))
        .order_by("id")
    )
    return render(request, "mediation/organisations.html", {"organisations": orgs})


@staff_page(Role.MEDIATOR, *DISTRICT_READS)
def statistics(request: HttpRequest) -> HttpResponse:
    cases = scoped(Case, request.user)
    since = None
    try:
        since = _date(request.GET.get("since", ""), "since")
    except AccordError as error:
        return render(request, "mediation/statistics.html", {"error": error}, status=422)
    by_kind = stats.table(cases, "kind", since)
    by_street = stats.table(cases, "street", since)
    by_month = stats.table(cases, "month", since)
    claims = stats.by_claim(cases, since)
    kinds = {code: zh for code, zh, _en in ORGANISATION_KINDS}
    if request.GET.get("format") == "xlsx":
        return _xlsx(by_kind, by_street, by_month, claims, kinds)
    chart = {
        "months": [r.key for r in by_month],
        "received": [r.received for r in by_month],
        "settled": [r.settled for r in by_month],
        "streets": [r.key for r in by_street],
        "street_received": [r.received for r in by_street],
        "claims": [{"name": n, "value": c} for n, c, _f in claims],
    }
    return render(
        request,
        "mediation/statistics.html",
        {
            "totals": stats.totals(cases, since),
            "by_kind": [(kinds.get(r.key, r.key), r) for r in by_kind],
            "by_street": by_street,
            "by_month": by_month,
            "claims": claims,
            "chart": chart,
            "since": since,
        },
    )


def _xlsx(by_kind, by_street, by_month, claims, kinds) -> HttpResponse:
    wb = Workbook()
    head = [
        "分组",
        "收案",
        "受理",
        "调解成功",
        "已结",
        "成功率%",
        "请求金额（元）",
        "达成金额（元）",
        "平均结案天数",
    ]
    for title, rows, label in (
        ("按组织类型", by_kind, lambda k: kinds.get(k, k)),
        ("按街道", by_street, str),
        ("按月份", by_month, str),
    ):
        ws = wb.create_sheet(title)
        ws.append(head)
        for r in rows:
            ws.append(
                [
                    label(r.key),
                    r.received,
                    r.accepted,
                    r.settled,
                    r.concluded,
                    r.success_rate,
                    r.claimed_fen / 100,
                    r.recovered_fen / 100,
                    r.days_to_close,
                ]
            )
    ws = wb.create_sheet("按争议类别")
    ws.append(["争议类别", "案件数", "请求金额（元）"])
    for name, n, fen in claims:
        ws.append([name, n, fen / 100])
    del wb["Sheet"]
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="mediation-statistics.xlsx"'
    return response
