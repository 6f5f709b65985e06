"""Mediation API: the public time-limit self-check, applications (a worker with a texted code,
HR, staff), the case and its transitions, evidence, documents, mediators, organisations,
statistics. Every handler: scope → parse → one service call → render."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from accord.core import ratelimit
from accord.core.api import principal
from accord.core.errors import INVALID_FILTER, forbidden
from accord.core.middleware import client_ip
from accord.core.pagination import ListMeta, filtered, page_response, paginate
from accord.core.roles import BUREAU_ACTS, DISTRICT_READS
from accord.core.scoping import get_scoped, scoped
from accord.identity.models import Organisation
from accord.identity.selectors import managed_enterprise
from accord.mediation import errors, policy, services
from accord.mediation.filters import CaseFilter
from accord.mediation.models import Case, ClaimCategory, Mediator
from accord.mediation.services import documents, stats

router = Router(tags=["mediation"])

TIME_LIMITS_PER_MINUTE = 30


# ---- the public time-limit self-check -----------------------------------------------------


class TimeLimitsIn(Schema):
    claim: ClaimCategory
    knew_on: dt.date | None = None
    employment_ended_on: dt.date | None = None
    received_on: dt.date | None = None
    interruptions: list[dt.date] = []
    as_of: dt.date | None = None


class BasisOut(Schema):
    article: str
    message_zh: str
    message_en: str


class TimeLimitsOut(Schema):
    limitation_status: str
    arbitration_deadline: dt.date | None
    mediation_deadline: dt.date | None
    basis: list[BasisOut]


@router.post(
    "/mediation/time-limits",
    response=TimeLimitsOut,
    auth=None,
    summary="Time-limit self-check (时效自测): Art. 27 limitation and Art. 14 mediation period",
)
def time_limits(request: HttpRequest, payload: TimeLimitsIn):
    """Public, rate-limited. ``claim`` is an Art. 2 category (``wages`` for pay, 劳动报酬);
    ``received_on`` the day a mediation organisation received the application (it interrupts the
    limitation); ``interruptions`` other days the limitation was interrupted; ``as_of`` defaults
    to today. ``arbitration_deadline`` is the last day (inclusive) to apply for arbitration, null
    while the limitation is not running."""
    ratelimit.hit(
        f"mediation-time-limits:{client_ip(request)}",
        limit=TIME_LIMITS_PER_MINUTE,
        window=60,
        code=errors.TIME_LIMITS_RATE_LIMITED,
    )
    return services.time_limits(
        claim=payload.claim.value,
        knew_on=payload.knew_on,
        employment_ended_on=payload.employment_ended_on,
        received_on=payload.received_on,
        interruptions=payload.interruptions,
        as_of=payload.as_of,
    ).as_dict()


# ---- applications -------------------------------------------------------------------------


class PhoneIn(Schema):
    phone: str


class ClaimIn(Schema):
    category: ClaimCategory
    amount_fen: int | None = None
    description: str = ""


class RepresentativeIn(Schema):
    name: str
    phone: str = ""


class ApplicationIn(Schema):
    worker_name: str
    enterprise_name: str = ""
    facts: str
    claims: list[ClaimIn]
    worker_phone: str = ""
    worker_id_number: str = ""
    street: str = ""
    organisation: UUID | None = None
    employment_started_on: dt.date | None = None
    employment_ended_on: dt.date | None = None
    knew_on: dt.date | None = None
    migrant_worker: bool = False
    collective: bool = False
    worker_count: int = 1
    representatives: list[RepresentativeIn] = []


class PublicApplicationIn(ApplicationIn):
    code: str


class StaffApplicationIn(ApplicationIn):
    channel: str  # "employer" (HR of ``enterprise``) or "oral" (staff recording it, Art. 12)
    enterprise: UUID | None = None
    received_at: dt.datetime | None = None


def _application(payload: ApplicationIn, channel: str, **extra) -> services.Application:
    organisation = None
    if payload.organisation is not None:
        organisation = Organisation.objects.filter(public_id=payload.organisation).first()
        if organisation is None:
            raise errors.ORGANISATION_NOT_FOUND()
    return services.Application(
        channel=channel,
        worker_name=payload.worker_name,
        enterprise_name=payload.enterprise_name,
        facts=payload.facts,
        claims=[
            services.ClaimInput(c.category.value, c.amount_fen, c.description)
            for c in payload.claims
        ],
        worker_phone=payload.worker_phone,
        worker_id_number=payload.worker_id_number,
        street=payload.street,
        organisation=organisation,
        employment_started_on=payload.employment_started_on,
        employment_ended_on=payload.employment_ended_on,
        knew_on=payload.knew_on,
        migrant_worker=payload.migrant_worker,
        collective=payload.collective,
        worker_count=payload.worker_count,
        representatives=[(r.name, r.phone) for r in payload.representatives],
        **extra,
    )


class ClaimOut(Schema):
    category: str
    category_label: str
    amount_fen: int | None
    description: str


class SessionOut(Schema):
    id: UUID
    starts_at: dt.datetime
    mode: str
    place: str
    join_url: str
    status: str


class ClockOut(Schema):
    mediation_deadline: dt.date | None
    days_left: int | None
    limitation_status: str | None
    arbitration_deadline: dt.date | None
    basis: list[BasisOut]


class CaseOut(Schema):
    id: UUID
    number: str
    status: str
    status_label: str
    channel: str
    organisation: str
    street: str
    worker_name: str
    worker_phone: str
    enterprise_name: str
    received_on: dt.date
    mediator: str
    urgent: bool
    collective: bool
    worker_count: int
    claimed_fen: int
    recovered_fen: int
    claims: list[ClaimOut]
    clock: ClockOut | None = None
    sessions: list[SessionOut] = []
    actions: list[str] = []


class CaseList(ListMeta):
    results: list[CaseOut]


class ProgressIn(Schema):
    number: str
    phone: str
    code: str


def case_out(case: Case, *, detail: bool = False, actor=None) -> dict:
    out = {
        "id": case.public_id,
        "number": case.number,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "channel": case.channel,
        "organisation": case.organisation.name,
        "street": case.street.name_zh if case.street_id else "",
        "worker_name": case.worker_name,
        "worker_phone": case.worker_phone_masked,
        "enterprise_name": case.enterprise_name,
        "received_on": case.received_on,
        "mediator": case.mediator.person.name if case.mediator_id else "",
        "urgent": case.urgent,
        "collective": case.collective,
        "worker_count": case.worker_count,
        "claimed_fen": case.claimed_fen,
        "recovered_fen": case.recovered_fen,
        "claims": [
            {
                "category": c.category,
                "category_label": str(c.get_category_display()),
                "amount_fen": c.amount_fen,
                "description": c.description,
            }
            for c in case.claims.all()
        ],
    }
    if detail:
        c = services.case_clock(case)
        out["clock"] = {
            "mediation_deadline": c.mediation_deadline,
            "days_left": c.days_left,
            "limitation_status": c.limitation.status if c.limitation else None,
            "arbitration_deadline": c.limitation.deadline if c.limitation else None,
            "basis": [b.as_dict() for b in c.basis],
        }
        out["sessions"] = [
            {
                "id": s.public_id,
                "starts_at": s.starts_at,
                "mode": s.mode,
                "place": s.place,
                "join_url": s.join_url,
                "status": s.status,
            }
            for s in case.sessions.all()
        ]
        if actor is not None:
            out["actions"] = policy.case_actions(
                actor, case, agreement=getattr(case, "agreement", None), today=timezone.localdate()
            )
    return out


@router.post("/mediation/phone-codes", response={202: None}, auth=None, summary="Text a code")
def send_phone_code(request: HttpRequest, payload: PhoneIn):
    """Texts a code that confirms the applicant's phone (apply, follow a case)."""
    services.send_phone_code(payload.phone, client_ip(request))
    return Status(202, None)


@router.post(
    "/mediation/applications",
    response={201: CaseOut},
    auth=None,
    summary="A worker's application, with the code texted to their phone",
)
def apply_public(request: HttpRequest, payload: PublicApplicationIn):
    index = services.check_phone_code(payload.worker_phone, payload.code)
    case = services.submit_application(
        _application(payload, Case.Channel.WORKER_ONLINE), verified_phone_index=index
    )
    return Status(201, case_out(case))


@router.post("/mediation/progress", response=CaseOut, auth=None, summary="Follow a case")
def progress(request: HttpRequest, payload: ProgressIn):
    """The case number and the code texted to the applicant's phone."""
    index = services.check_phone_code(payload.phone, payload.code)
    case = services.require_number_and_phone(payload.number, index)
    return case_out(case, detail=True)


@router.post("/mediation/cases", response={201: CaseOut}, summary="Apply as HR, or record one")
def apply_staff(request: HttpRequest, payload: StaffApplicationIn):
    user = principal(request)
    extra: dict = {}
    if payload.channel == Case.Channel.EMPLOYER:
        if payload.enterprise is None:
            raise errors.EMPLOYER_REQUIRED(field="enterprise")
        extra["enterprise"] = managed_enterprise(user, payload.enterprise)
    elif payload.channel == Case.Channel.ORAL:
        if not policy.records_oral_applications(user):
            raise forbidden()
        extra["received_at"] = payload.received_at
        if payload.organisation is None and user.organisation_ids:
            extra["organisation"] = Organisation.objects.get(pk=min(user.organisation_ids))
    elif payload.channel == Case.Channel.WORKER_ONLINE and getattr(user, "person_id", None):
        extra["worker"] = user.person
    else:
        raise errors.NOT_AN_APPLICANT(field="channel")
    app = _application(
        payload, payload.channel, **{k: v for k, v in extra.items() if k != "organisation"}
    )
    if "organisation" in extra and app.organisation is None:
        app.organisation = extra["organisation"]
    case = services.submit_application(app, actor=user)
    return Status(201, case_out(case))


# ---- the case ---------------------------------------------------------------------------


def _case(request: HttpRequest, public_id) -> Case:
    return get_scoped(Case, principal(request), public_id)


@router.get("/mediation/cases", response=CaseList, summary="Cases I may see")
def list_cases(request: HttpRequest, page: int = 1, page_size: int = 50):
    """Filters as on the list page (``CaseFilter``): ``number`` (prefix), ``status``, ``kind``
    (organisation kind), ``claim`` (Art. 2 code), ``urgent``, ``collective``."""
    qs = filtered(CaseFilter, request.GET, scoped(Case, principal(request)))
    return page_response(paginate(qs.prefetch_related("claims"), page, page_size), case_out)


@router.get("/mediation/cases/{case_id}", response=CaseOut, summary="One case, with its clock")
def get_case(request: HttpRequest, case_id: UUID):
    case = _case(request, case_id)
    return case_out(case, detail=True, actor=principal(request))


class ReasonIn(Schema):
    reason: str = ""


class AssignIn(Schema):
    mediator: UUID | None = None


class SessionIn(Schema):
    starts_at: dt.datetime
    mode: str
    place: str = ""


class ExtendIn(Schema):
    days: int
    both_agreed: bool
    note: str = ""


class InstalmentIn(Schema):
    due_on: dt.date
    amount_fen: int


class AgreementIn(Schema):
    terms: str
    instalments: list[InstalmentIn] = []


class AgreementOut(Schema):
    status: str
    envelope: str
    total_fen: int


class ContractIn(Schema):
    envelope: UUID


class EvidenceOut(Schema):
    id: UUID
    kind: str
    name: str
    content_type: str
    size: int
    sha256: str
    ledger_index: int | None


def _detail(request, case) -> dict:
    case.refresh_from_db()
    return case_out(case, detail=True, actor=principal(request))


@router.post("/mediation/cases/{case_id}/accept", response=CaseOut, summary="Accept (受理)")
def accept(request: HttpRequest, case_id: UUID):
    case = _case(request, case_id)
    return _detail(request, services.accept(case, actor=principal(request)))


@router.post("/mediation/cases/{case_id}/decline", response=CaseOut, summary="Decline, with reason")
def decline(request: HttpRequest, case_id: UUID, payload: ReasonIn):
    case = _case(request, case_id)
    return _detail(request, services.decline(case, actor=principal(request), reason=payload.reason))


@router.post("/mediation/cases/{case_id}/assign", response=CaseOut, summary="Assign a mediator")
def assign(request: HttpRequest, case_id: UUID, payload: AssignIn):
    user = principal(request)
    case = _case(request, case_id)
    mediator = None
    if payload.mediator is not None:
        # A mediator of another organisation is refused by name, not hidden: the handler of the
        # case may name any registered mediator (issue #14: "a mediator outside the organisation").
        mediator = Mediator.objects.filter(public_id=payload.mediator).first()
        if mediator is None:
            raise errors.MEDIATOR_NOT_FOUND()
    return _detail(request, services.assign(case, actor=user, mediator=mediator))


@router.post("/mediation/cases/{case_id}/sessions", response={201: SessionOut}, summary="Schedule")
def schedule(request: HttpRequest, case_id: UUID, payload: SessionIn):
    case = _case(request, case_id)
    s = services.schedule_session(
        case,
        actor=principal(request),
        starts_at=payload.starts_at,
        mode=payload.mode,
        place=payload.place,
    )
    return Status(
        201,
        {
            "id": s.public_id,
            "starts_at": s.starts_at,
            "mode": s.mode,
            "place": s.place,
            "join_url": s.join_url,
            "status": s.status,
        },
    )


@router.post("/mediation/cases/{case_id}/extend", response=CaseOut, summary="Extend (both agree)")
def extend(request: HttpRequest, case_id: UUID, payload: ExtendIn):
    case = _case(request, case_id)
    return _detail(
        request,
        services.extend(
            case,
            actor=principal(request),
            days=payload.days,
            both_agreed=payload.both_agreed,
            note=payload.note,
        ),
    )


@router.post("/mediation/cases/{case_id}/end", response=CaseOut, summary="End without agreement")
def end(request: HttpRequest, case_id: UUID, payload: ReasonIn):
    case = _case(request, case_id)
    return _detail(request, services.end(case, actor=principal(request), reason=payload.reason))


@router.post("/mediation/cases/{case_id}/withdraw", response=CaseOut, summary="Withdraw")
def withdraw(request: HttpRequest, case_id: UUID, payload: ReasonIn):
    case = _case(request, case_id)
    return _detail(
        request, services.withdraw(case, actor=principal(request), reason=payload.reason)
    )


@router.post("/mediation/cases/{case_id}/refer", response=CaseOut, summary="Refer to arbitration")
def refer(request: HttpRequest, case_id: UUID):
    case = _case(request, case_id)
    return _detail(request, services.refer(case, actor=principal(request)))


@router.post(
    "/mediation/cases/{case_id}/agreement", response={201: AgreementOut}, summary="Agreement"
)
def agreement(request: HttpRequest, case_id: UUID, payload: AgreementIn):
    case = _case(request, case_id)
    a = services.draft_agreement(
        case,
        actor=principal(request),
        terms=payload.terms,
        instalments=[services.InstalmentInput(i.due_on, i.amount_fen) for i in payload.instalments],
    )
    return Status(
        201, {"status": a.status, "envelope": a.envelope.number, "total_fen": a.total_fen}
    )


def evidence_out(e) -> dict:
    return {
        "id": e.public_id,
        "kind": e.kind,
        "name": e.name,
        "content_type": e.content_type,
        "size": e.size,
        "sha256": e.sha256,
        "ledger_index": e.ledger_index,
    }


@router.post(
    "/mediation/cases/{case_id}/evidence", response={201: EvidenceOut}, summary="Upload evidence"
)
def upload_evidence(request: HttpRequest, case_id: UUID, file: File[UploadedFile]):
    case = _case(request, case_id)
    if file.size > services.MAX_EVIDENCE_BYTES:
        raise errors.UPLOAD_TOO_LARGE(max_mb=services.MAX_EVIDENCE_BYTES // (1024 * 1024))
    e = services.add_evidence(
        case,
        actor=principal(request),
        name=file.name or "upload",
        data=file.read(),
        content_type=file.content_type or "",
    )
    return Status(201, evidence_out(e))


@router.post(
    "/mediation/cases/{case_id}/contracts",
    response={201: EvidenceOut},
    summary="Offer a signed 福易签 document as evidence, with its ledger proof",
)
def offer_contract(request: HttpRequest, case_id: UUID, payload: ContractIn):
    case = _case(request, case_id)
    e = services.offer_contract(case, actor=principal(request), envelope_public_id=payload.envelope)
    return Status(201, evidence_out(e))


@router.get(
    "/mediation/cases/{case_id}/documents/{kind}",
    response={200: None},
    summary="A prefilled PDF: arbitration, payment_order or confirmation",
)
def case_document(request: HttpRequest, case_id: UUID, kind: str):
    case = _case(request, case_id)
    if kind not in documents.KINDS:
        raise errors.CASE_NOT_FOUND()
    pdf = documents.render(case, kind, viewer=principal(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.number}-{kind}.pdf"'
    return response


# ---- mediators, organisations, statistics -------------------------------------------------


class MediatorOut(Schema):
    id: UUID
    name: str
    registration_number: str
    organisation: str
    organisation_kind: str
    status: str
    qualifications: list[str]
    open_cases: int
    training_hours: int


class MediatorList(ListMeta):
    results: list[MediatorOut]


def mediator_out(m: Mediator) -> dict:
    return {
        "id": m.public_id,
        "name": m.person.name,
        "registration_number": m.registration_number,
        "organisation": m.organisation.name,
        "organisation_kind": m.organisation.kind,
        "status": m.status,
        "qualifications": m.qualifications,
        "open_cases": getattr(m, "open_cases", 0) or 0,
        "training_hours": getattr(m, "training_hours", 0) or 0,
    }


@router.get("/mediation/mediators", response=MediatorList, summary="Registered mediators")
def list_mediators(request: HttpRequest, page: int = 1, page_size: int = 50):
    qs = services.with_workload(scoped(Mediator, principal(request)), timezone.localdate().year)
    return page_response(paginate(qs, page, page_size), mediator_out)


@router.get("/mediation/mediators/{mediator_id}", response=MediatorOut, summary="One mediator")
def get_mediator(request: HttpRequest, mediator_id: UUID):
    qs = services.with_workload(scoped(Mediator, principal(request)), timezone.localdate().year)
    return mediator_out(get_scoped(Mediator, principal(request), mediator_id, queryset=qs))


class MediatorIn(Schema):
    """Registration (备案) by the bureau: the person (found by ID number, or registered now)."""

    name: str
    id_number: str
    phone: str = ""
    organisation: UUID
    registered_on: dt.date
    qualifications: list[str] = []


class TrainingIn(Schema):
    hours: int
    course: str
    completed_on: dt.date


class MediatorStatusIn(Schema):
    status: str


def _bureau(request: HttpRequest):
    user = principal(request)
    if not user.has_role(*BUREAU_ACTS):
        raise forbidden()
    return user


@router.post("/mediation/mediators", response={201: MediatorOut}, summary="Register (备案)")
def register_mediator(request: HttpRequest, payload: MediatorIn):
    _bureau(request)
    organisation = Organisation.objects.filter(public_id=payload.organisation).first()
    if organisation is None:
        raise errors.ORGANISATION_NOT_FOUND()
    mediator = services.register_mediator_person(
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        organisation=organisation,
        registered_on=payload.registered_on,
        qualifications=payload.qualifications,
    )
    return Status(201, mediator_out(mediator))


@router.post(
    "/mediation/mediators/{mediator_id}/trainings",
    response={201: MediatorOut},
    summary="Record training hours",
)
def record_training(request: HttpRequest, mediator_id: UUID, payload: TrainingIn):
    mediator = get_scoped(Mediator, principal(request), mediator_id)
    _bureau(request)
    services.record_training(
        mediator, hours=payload.hours, course=payload.course, completed_on=payload.completed_on
    )
    qs = services.with_workload(Mediator.objects.filter(pk=mediator.pk), payload.completed_on.year)
    return Status(201, mediator_out(qs.select_related("person", "organisation").get()))


@router.post(
    "/mediation/mediators/{mediator_id}/status", response=MediatorOut, summary="Change status"
)
def mediator_status(request: HttpRequest, mediator_id: UUID, payload: MediatorStatusIn):
    mediator = get_scoped(Mediator, principal(request), mediator_id)
    _bureau(request)
    return mediator_out(services.set_mediator_status(mediator, payload.status))


class OrganisationOut(Schema):
    id: UUID
    name: str
    kind: str
    street: str


class OrganisationList(ListMeta):
    results: list[OrganisationOut]


@router.get(
    "/mediation/organisations",
    response=OrganisationList,
    auth=None,
    summary="The mediation organisations (public registry)",
)
def list_organisations(request: HttpRequest, page: int = 1, page_size: int = 50):
    qs = Organisation.objects.select_related("street").order_by("id")
    return page_response(
        paginate(qs, page, page_size),
        lambda o: {
            "id": o.public_id,
            "name": o.name,
            "kind": o.kind,
            "street": o.street.name_zh if o.street_id else "",
        },
    )


class StatsRowOut(Schema):
    key: str
    received: int
    accepted: int
    settled: int
    concluded: int
    success_rate: float | None
    claimed_fen: int
    recovered_fen: int
    days_to_close: float | None


class StatsOut(Schema):
    totals: StatsRowOut
    rows: list[StatsRowOut]


def _row(r: stats.Row) -> dict:
    return {**r.__dict__, "success_rate": r.success_rate}


@router.get("/mediation/statistics", response=StatsOut, summary="Statistics of the cases I see")
def statistics(request: HttpRequest, by: str = "kind", since: dt.date | None = None):
    user = principal(request)
    if not (user.has_role(*DISTRICT_READS) or user.organisation_ids):
        raise forbidden()
    if by not in stats.GROUPS:
        raise INVALID_FILTER("by")
    cases = scoped(Case, user)
    return {
        "totals": _row(stats.totals(cases, since)),
        "rows": [_row(r) for r in stats.table(cases, by, since)],
    }
