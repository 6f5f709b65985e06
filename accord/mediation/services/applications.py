"""Applications, three ways (issue #14; Art. 12): a worker on a phone (the phone confirmed by a
texted code, no account needed), the employer's HR, or staff recording an oral application.
Claims by the Art. 2 categories with amounts in fen; duplicate detection; evidence uploads; the
worker's signed 福易签 documents offered as evidence with their ledger proof."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.core import audit, ratelimit
from accord.core.crypto import blind_index, mask_id_number, mask_phone
from accord.core.errors import InvalidInput, Problem, ProblemList
from accord.core.events import publish
from accord.core.notifications import send_sms
from accord.envelopes.models import Envelope
from accord.identity import texted_codes
from accord.identity.models import Enterprise, Organisation, Person, Street
from accord.identity.validators import clean_name, clean_phone, clean_resident_id
from accord.mediation import clock, errors, policy
from accord.mediation.models import (
    MONEY_CLAIMS,
    Case,
    Claim,
    ClaimCategory,
    Evidence,
    PhoneCode,
    Representative,
)
from accord.mediation.services.base import calendar, new_case_number, payload
from accord.signing import providers
from accord.signing.models import Signature

CODE_TTL_SECONDS = 600
CODE_MAX_ATTEMPTS = 5
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_FILES = 20
ALLOWED_UPLOADS = {  # content type -> the file's own first bytes
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
COLLECTIVE_MIN_WORKERS = 10  # Art. 7


# ---- a phone confirmed by a texted code ------------------------------------------------------


@transaction.atomic
def send_phone_code(phone: str, ip: str | None) -> None:
    """Text a 6-digit code to confirm the phone of an applicant (one a minute per phone)."""
    phone = clean_phone(phone)
    index = blind_index(phone, "phone")
    ratelimit.hit(
        f"mediation-sms-phone:{index}",
        limit=1,
        window=settings.ACCORD_SMS_SEND_INTERVAL_SECONDS,
        code=errors.CODE_TOO_SOON,
    )
    ratelimit.hit(
        f"mediation-sms-ip:{ip}",
        limit=settings.ACCORD_SMS_SENDS_PER_HOUR_PER_IP,
        window=3600,
        code=errors.CODE_RATE_LIMITED,
    )
    code = texted_codes.issue(PhoneCode, index, CODE_TTL_SECONDS, scope="mediation")
    send_sms(
        phone,
        f"【福田区和谐劳动关系服务平台】您的调解服务验证码是 {code}，10 分钟内有效。"
        f"请勿告诉他人。Your mediation code is {code}.",
        sensitive=True,
    )


def check_phone_code(phone: str, code: str) -> str:
    """The phone's blind index when ``code`` is the one texted to it; 5 wrong tries lock it."""
    phone = clean_phone(phone)
    index = blind_index(phone, "phone")
    lock_key = f"mediation-code:{index}"
    ratelimit.check_not_locked(lock_key, code=errors.CODE_RATE_LIMITED)
    outcome = texted_codes.consume(PhoneCode, index, code, CODE_MAX_ATTEMPTS, scope="mediation")
    if outcome is not texted_codes.Outcome.OK:
        ratelimit.register_failure(
            lock_key, settings.ACCORD_LOGIN_MAX_FAILURES, settings.ACCORD_LOGIN_LOCKOUT_SECONDS
        )
        if outcome is texted_codes.Outcome.EXPIRED:
            raise errors.CODE_EXPIRED()
        raise errors.CODE_INVALID()
    ratelimit.clear_failures(lock_key)
    return index


# ---- the application -----------------------------------------------------------------------


@dataclass
class ClaimInput:
    category: str
    amount_fen: int | None = None
    description: str = ""


@dataclass
class Application:
    """What an application says, whichever way it came (Art. 12: for an oral one, the staff
    record the applicant's details, the facts, the claims and the time)."""

    channel: str
    worker_name: str
    enterprise_name: str
    facts: str
    claims: list[ClaimInput]
    worker_phone: str = ""
    worker_id_number: str = ""
    worker: Person | None = None
    enterprise: Enterprise | None = None
    street: str = ""
    organisation: Organisation | None = None
    employment_started_on: dt.date | None = None
    employment_ended_on: dt.date | None = None
    knew_on: dt.date | None = None
    migrant_worker: bool = False
    collective: bool = False
    worker_count: int = 1
    representatives: list[tuple[str, str]] = field(default_factory=list)
    received_at: dt.datetime | None = None


def _problem(error, field_name: str | None = None, **params) -> Problem:
    return error.problem(field_name, **params)


def check_claims(claims: list[ClaimInput], problems: ProblemList) -> None:
    if not claims:
        problems.add(_problem(errors.CLAIMS_REQUIRED))
    for i, claim in enumerate(claims):
        where = f"claims[{i}]"
        if claim.category not in ClaimCategory.values:
            problems.add(_problem(errors.CLAIM_UNKNOWN, f"{where}.category"))
            continue
        if claim.amount_fen is None:
            if claim.category in MONEY_CLAIMS:
                problems.add(_problem(errors.AMOUNT_REQUIRED, f"{where}.amount_fen"))
        elif not isinstance(claim.amount_fen, int) or claim.amount_fen <= 0:
            problems.add(_problem(errors.AMOUNT_INVALID, f"{where}.amount_fen"))


def check_dates(app: Application, today: dt.date, problems: ProblemList) -> None:
    for name in ("employment_started_on", "employment_ended_on", "knew_on"):
        value = getattr(app, name)
        if value is not None and value > today:
            problems.add(_problem(errors.DATE_IN_FUTURE, name))
        elif (
            value is not None
            and name != "employment_started_on"
            and app.employment_started_on is not None
            and value < app.employment_started_on
        ):
            problems.add(_problem(errors.DATE_BEFORE_EMPLOYMENT, name))
    only_wages = bool(app.claims) and all(c.category == clock.WAGES for c in app.claims)
    if app.knew_on is None and not only_wages:
        problems.add(_problem(errors.KNEW_ON_REQUIRED))


def _route(app: Application, enterprise: Enterprise | None) -> tuple[Organisation, Street | None]:
    """The organisation that receives it: the one chosen, else the street centre of the
    employer's street, else the district centre."""
    street = enterprise.street if enterprise is not None else None
    if street is None and app.street:
        street = Street.objects.filter(code=app.street).first()
    if app.organisation is not None:
        return app.organisation, street or app.organisation.street
    if street is not None:
        centre = Organisation.objects.filter(kind="street", street=street).first()
        if centre is not None:
            return centre, street
    district = Organisation.objects.filter(kind="district").first()
    if district is None:
        raise errors.ORGANISATION_NOT_FOUND()
    return district, street


def find_duplicate(
    *,
    worker: Person | None,
    phone_index: str,
    enterprise: Enterprise | None,
    enterprise_name: str,
    categories: set[str],
) -> Case | None:
    """An open case of the same parties with an overlapping claim (issue #14)."""
    same_worker = Q(pk__in=[])
    if worker is not None:
        same_worker |= Q(worker=worker)
    if phone_index:
        same_worker |= Q(worker_phone_index=phone_index)
    if worker is None and not phone_index:
        return None
    same_employer = (
        Q(enterprise=enterprise) if enterprise is not None else Q(enterprise_name=enterprise_name)
    )
    return (
        Case.objects.filter(same_worker, same_employer, status__in=Case.OPEN)
        .filter(claims__category__in=categories)
        .order_by("received_at")
        .first()
    )


def _clean_person_fields(app: Application, problems: ProblemList) -> tuple[str, str, str]:
    name = phone = id_number = ""
    try:
        name = clean_name(app.worker_name, field="worker_name")
    except InvalidInput as e:
        problems.add(Problem(e.code, e.message_zh, e.message_en, e.field))
    if app.worker_phone:
        try:
            phone = clean_phone(app.worker_phone, field="worker_phone")
        except InvalidInput as e:
            problems.add(Problem(e.code, e.message_zh, e.message_en, e.field))
    if app.worker_id_number:
        try:
            id_number = clean_resident_id(app.worker_id_number, field="worker_id_number")[0]
        except InvalidInput as e:
            problems.add(Problem(e.code, e.message_zh, e.message_en, e.field))
    return name, phone, id_number


@transaction.atomic
def submit_application(app: Application, *, actor=None, verified_phone_index: str = "") -> Case:
    """Check everything (every problem at once), then write the case and its claims, or
    nothing. The Art. 14 period starts on the day of receipt."""
    today = timezone.localdate()
    problems = ProblemList()
    name, phone, id_number = _clean_person_fields(app, problems)
    check_claims(app.claims, problems)
    check_dates(app, today, problems)
    if not (app.facts or "").strip():
        problems.add(_problem(errors.FACTS_REQUIRED))
    enterprise = app.enterprise
    enterprise_name = (enterprise.name if enterprise else (app.enterprise_name or "")).strip()
    if not enterprise_name:
        problems.add(_problem(errors.EMPLOYER_REQUIRED))
    if app.collective and (app.worker_count < COLLECTIVE_MIN_WORKERS or not app.representatives):
        problems.add(_problem(errors.COLLECTIVE_TOO_FEW))
    problems.raise_if_any()

    side = Case.Side.EMPLOYER if app.channel == Case.Channel.EMPLOYER else Case.Side.WORKER
    phone_index = blind_index(phone, "phone") if phone else ""
    worker = app.worker
    if app.channel == Case.Channel.WORKER_ONLINE:
        if worker is None:
            # No account needed: the phone confirmed by a texted code is the applicant's.
            if not phone_index or not hmac.compare_digest(phone_index, verified_phone_index or ""):
                raise errors.PHONE_NOT_VERIFIED()
            worker = Person.objects.filter(phone_index=phone_index).first()
        if enterprise is None and enterprise_name:
            enterprise = Enterprise.objects.filter(name=enterprise_name).first()
    elif app.channel == Case.Channel.EMPLOYER:
        if enterprise is None:
            raise errors.NOT_AN_APPLICANT(field="enterprise")
    elif app.channel != Case.Channel.ORAL:
        raise errors.NOT_AN_APPLICANT(field="channel")
    if worker is None and phone_index:
        worker = Person.objects.filter(phone_index=phone_index).first()

    categories = {c.category for c in app.claims}
    duplicate = find_duplicate(
        worker=worker,
        phone_index=phone_index,
        enterprise=enterprise,
        enterprise_name=enterprise_name,
        categories=categories,
    )
    if duplicate is not None:
        raise errors.DUPLICATE_CASE(number=duplicate.number, extra={"case": duplicate.number})

    organisation, street = _route(app, enterprise)
    received_at = app.received_at or timezone.now()
    received_on = timezone.localtime(received_at).date()
    if received_on > today:
        raise errors.DATE_IN_FUTURE(field="received_at")
    wages = clock.WAGES in categories
    case = Case.objects.create(
        number=new_case_number(today),
        organisation=organisation,
        street=street,
        channel=app.channel,
        applicant_side=side,
        worker=worker,
        worker_name=name,
        worker_phone=phone,
        worker_phone_index=phone_index,
        worker_phone_masked=mask_phone(phone) if phone else "",
        worker_id_number=id_number,
        worker_id_number_masked=mask_id_number(id_number) if id_number else "",
        enterprise=enterprise,
        enterprise_name=enterprise_name[:200],
        facts=app.facts.strip(),
        employment_started_on=app.employment_started_on,
        employment_ended_on=app.employment_ended_on,
        knew_on=app.knew_on,
        received_on=received_on,
        received_at=received_at,
        mediation_deadline=clock.mediation_deadline(received_on, calendar()),
        # Unpaid wages of migrant workers are flagged urgent (保障农民工工资支付条例).
        urgent=wages and app.migrant_worker,
        migrant_worker=app.migrant_worker,
        collective=app.collective,
        worker_count=max(app.worker_count, 1),
        claimed_fen=sum(c.amount_fen or 0 for c in app.claims),
        created_by_id=getattr(actor, "pk", None),  # an API token has none
    )
    Claim.objects.bulk_create(
        Claim(
            case=case,
            category=c.category,
            amount_fen=c.amount_fen,
            description=(c.description or "")[:500],
        )
        for c in app.claims
    )
    for rep_name, rep_phone in app.representatives:
        rep_phone = clean_phone(rep_phone, field="representatives") if rep_phone else ""
        Representative.objects.create(
            case=case,
            name=clean_name(rep_name, field="representatives"),
            phone=rep_phone,
            phone_masked=mask_phone(rep_phone) if rep_phone else "",
        )
    audit.record(
        "mediation.case.apply",
        case,
        enterprise_id=case.enterprise_id,
        changes={
            "status": [None, case.status],
            "channel": [None, case.channel],
            "claims": [None, sorted(categories)],
            "phone": ["***", "***"] if phone else [None, None],
        },
    )
    publish("mediation.case.applied", payload(case))
    if case.urgent:
        publish("mediation.unpaid_wages", payload(case))
    if case.collective:
        publish("mediation.collective_case", payload(case, worker_count=case.worker_count))
    return case


# ---- evidence -----------------------------------------------------------------------------


def _sniff(data: bytes, declared: str) -> str:
    for content_type, magics in ALLOWED_UPLOADS.items():
        if any(data.startswith(m) for m in magics):
            return content_type
    raise errors.UPLOAD_TYPE()


@transaction.atomic
def add_evidence(case: Case, *, actor, name: str, data: bytes, content_type: str = "") -> Evidence:
    """A photo or PDF, checked by its own bytes (not its name), at most 10 MB, 20 a case."""
    policy.can(actor, case, "evidence").enforce()
    if len(data) > MAX_EVIDENCE_BYTES:
        raise errors.UPLOAD_TOO_LARGE(max_mb=MAX_EVIDENCE_BYTES // (1024 * 1024))
    kind = _sniff(data, content_type)
    if case.evidence.count() >= MAX_EVIDENCE_FILES:
        raise errors.TOO_MANY_UPLOADS(max_files=MAX_EVIDENCE_FILES)
    digest = providers.store_document(data)
    evidence = Evidence.objects.create(
        case=case,
        kind=Evidence.Kind.UPLOAD,
        name=(name or "upload")[:200],
        content_type=kind,
        size=len(data),
        sha256=digest,
        uploaded_by_id=getattr(actor, "pk", None),
    )
    audit.record(
        "mediation.evidence.add",
        case,
        enterprise_id=case.enterprise_id,
        changes={"evidence": [None, evidence.name], "sha256": [None, digest]},
    )
    return evidence


def signed_contracts_of(case: Case):
    """The worker's completed 福易签 documents with the case's employer: what may be offered."""
    if case.worker_id is None:
        return Envelope.objects.none()
    qs = Envelope.objects.filter(person_id=case.worker_id, status=Envelope.Status.COMPLETED)
    if case.enterprise_id:
        qs = qs.filter(enterprise_id=case.enterprise_id)
    return qs.prefetch_related("documents").order_by("-completed_at")


@transaction.atomic
def offer_contract(case: Case, *, actor, envelope_public_id) -> Evidence:
    """The worker's signed contract, with the ledger entry of its last signature as proof."""
    policy.can(actor, case, "evidence").enforce()
    envelope = signed_contracts_of(case).filter(public_id=envelope_public_id).first()
    if envelope is None:
        if Envelope.objects.filter(public_id=envelope_public_id, person_id=case.worker_id).exists():
            raise errors.CONTRACT_NOT_SIGNED()
        raise errors.CONTRACT_NOT_OF_CASE()
    document = envelope.documents.order_by("position").first()
    signature = (
        Signature.objects.filter(output_sha256=document.current_sha256)
        .exclude(ledger_index=None)
        .order_by("-signed_at")
        .first()
    )
    evidence, created = Evidence.objects.get_or_create(
        case=case,
        envelope=envelope,
        defaults={
            "kind": Evidence.Kind.CONTRACT,
            "name": f"{envelope.title}（{envelope.number}）"[:200],
            "content_type": "application/pdf",
            "size": document.size,
            "sha256": document.current_sha256,
            "ledger_index": signature.ledger_index if signature else None,
            "uploaded_by_id": getattr(actor, "pk", None),
        },
    )
    if created:
        audit.record(
            "mediation.evidence.contract",
            case,
            enterprise_id=case.enterprise_id,
            changes={"envelope": [None, envelope.number]},
        )
    return evidence


def require_number_and_phone(number: str, phone_index: str) -> Case:
    """The progress page: the case number and the phone confirmed by code, or 404."""
    case = (
        Case.objects.filter(number=(number or "").strip().upper())
        .select_related("organisation", "mediator__person")
        .first()
    )
    if (
        case is None
        or not phone_index
        or not hmac.compare_digest(case.worker_phone_index or "", phone_index)
    ):
        raise errors.CASE_NOT_FOUND()
    return case


def record_view(case: Case, viewer) -> None:
    """A full view of the case (the facts, the parties' details) is personal data: audited."""
    audit.record(
        "mediation.case.view_personal_data",
        case,
        enterprise_id=case.enterprise_id,
        changes={"viewer": [None, getattr(viewer, "username", "") or "phone"]},
    )
