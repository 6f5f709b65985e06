"""Envelope API for HR staff, HR systems (scoped tokens) and workers.

HR systems create and send envelopes with an enterprise token; sealing needs a person with a
fresh second factor (Electronic Signature Law Art. 13: sole control), so a token cannot seal.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from accord.contracts.models import TemplateVersion
from accord.core import audit
from accord.core.api import principal
from accord.core.errors import InvalidInput, NotFound, forbidden
from accord.core.pagination import paginate
from accord.core.scoping import get_scoped, scoped
from accord.envelopes import drafting, services
from accord.envelopes.models import Envelope, EnvelopeDocument, Party
from accord.identity.models import Employment, Person, User
from accord.identity.scoping import managed_enterprise
from accord.signing import providers

router = Router(tags=["envelopes"])


class PartyIn(Schema):
    role: str
    order: int
    person: UUID | None = None
    signers: list[UUID] = []


class EnvelopeIn(Schema):
    template_version: UUID
    person: UUID | None = None
    employment: UUID | None = None
    fields: dict = {}
    title: str = ""
    parties: list[PartyIn] | None = None
    deadline: dt.datetime | None = None
    send: bool = False
    idempotency_key: str = ""


class ReasonIn(Schema):
    reason: str = ""


class SealIn(Schema):
    otp: str
    seal: UUID | None = None


class CodeIn(Schema):
    code: str


class SignatureImageIn(Schema):
    png_base64: str


class DocumentOut(Schema):
    position: int
    number: str
    name: str
    kind: str
    sha256: str
    pages: int
    size: int


class PartyOut(Schema):
    id: UUID
    order: int
    role: str
    status: str
    name: str
    signed_at: dt.datetime | None
    consent_at: dt.datetime | None
    reject_reason: str


class EnvelopeOut(Schema):
    id: UUID
    number: str
    title: str
    kind: str
    status: str
    enterprise: UUID
    enterprise_name: str
    worker: str
    deadline: dt.datetime | None
    sent_at: dt.datetime | None
    completed_at: dt.datetime | None
    end_reason: str
    retain_until: dt.date | None
    documents: list[DocumentOut]
    parties: list[PartyOut]
    my_party: UUID | None = None


class EnvelopeList(Schema):
    count: int
    count_capped: bool
    page: int
    page_size: int
    has_next: bool
    results: list[EnvelopeOut]


def envelope_out(envelope: Envelope, user=None) -> dict:
    mine = services.party_of(user, envelope) if user is not None else None
    parties = list(envelope.parties.all())
    return {
        "id": envelope.public_id,
        "number": envelope.number,
        "title": envelope.title,
        "kind": envelope.kind,
        "status": envelope.status,
        "enterprise": envelope.enterprise.public_id,
        "enterprise_name": envelope.enterprise.name,
        "worker": envelope.person.name,
        "deadline": envelope.deadline,
        "sent_at": envelope.sent_at,
        "completed_at": envelope.completed_at,
        "end_reason": envelope.end_reason,
        "retain_until": envelope.retain_until,
        "documents": [
            {
                "position": d.position,
                "number": d.number,
                "name": d.name,
                "kind": d.kind,
                "sha256": d.current_sha256,
                "pages": d.pages,
                "size": d.size,
            }
            for d in envelope.documents.all()
        ],
        "parties": [
            {
                "id": p.public_id,
                "order": p.order,
                "role": p.role,
                "status": p.status,
                "name": p.person.name
                if p.person_id and p.person is not None
                else envelope.enterprise.name,
                "signed_at": p.signed_at,
                "consent_at": p.consent_at,
                "reject_reason": p.reject_reason,
            }
            for p in parties
        ],
        "my_party": mine.public_id if mine else None,
    }


def _envelopes_qs(user):
    return scoped(Envelope, user).prefetch_related("documents", "parties__person")


def _get(request: HttpRequest, envelope_id) -> Envelope:
    return get_scoped(Envelope, principal(request), envelope_id, _envelopes_qs(principal(request)))


def _sender(request: HttpRequest, envelope: Envelope):
    who = principal(request)
    if not services.is_sender(who, envelope):
        raise forbidden()
    return who


def _user_of(who):
    """The user recorded as acting: an API token acts for the user who created it."""
    token = getattr(who, "token", None)
    return token.created_by if token is not None else who


@router.get("/envelopes", response=EnvelopeList)
def list_envelopes(
    request: HttpRequest,
    status: str = "",
    kind: str = "",
    enterprise: UUID | None = None,
    page: int = 1,
    page_size: int = 50,
):
    who = principal(request)
    qs = _envelopes_qs(who)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if enterprise:
        qs = qs.filter(enterprise__public_id=enterprise)
    p = paginate(qs.order_by("-created_at", "-id"), page, page_size)
    return {
        "count": p.count,
        "count_capped": p.count_capped,
        "page": p.number,
        "page_size": p.size,
        "has_next": p.has_next,
        "results": [envelope_out(e, who) for e in p.items],
    }


@router.post(
    "/enterprises/{enterprise_id}/envelopes", response={201: EnvelopeOut, 200: EnvelopeOut}
)
def create_envelope(request: HttpRequest, enterprise_id: str, payload: EnvelopeIn):
    """Draft (or send, with ``send``) an envelope from a published template; an
    ``idempotency_key`` seen before returns the first envelope (200) and creates nothing."""
    who = principal(request)
    enterprise = managed_enterprise(who, enterprise_id)
    if payload.idempotency_key:
        existing = Envelope.objects.filter(
            enterprise=enterprise, idempotency_key=payload.idempotency_key
        ).first()
        if existing is not None:
            return Status(200, envelope_out(_get(request, existing.public_id), who))
    version = (
        TemplateVersion.objects.select_related("template")
        .filter(public_id=payload.template_version)
        .first()
    )
    if version is None or version.template.enterprise_id not in (None, enterprise.pk):
        raise NotFound("contracts.template_not_found", "template_version")
    employment = None
    if payload.employment:
        employment = (
            Employment.objects.filter(public_id=payload.employment, enterprise=enterprise)
            .select_related("person")
            .first()
        )
        if employment is None:
            raise NotFound("identity.employment_not_found", "employment")
        person = employment.person
    elif payload.person:
        person = (
            Person.objects.filter(public_id=payload.person, employments__enterprise=enterprise)
            .distinct()
            .first()
        )
        if person is None:
            raise NotFound("identity.person_not_found", "person")
    else:
        raise InvalidInput(
            "envelope.worker_required",
            "请指定劳动者（employment 或 person）。",
            "Name the worker (employment or person).",
            "person",
        )
    parties = None
    if payload.parties is not None:
        parties = []
        for i, p in enumerate(payload.parties):
            party_person = None
            if p.person:
                party_person = Person.objects.filter(public_id=p.person).first()
                if party_person is None:
                    raise NotFound("identity.person_not_found", f"parties[{i}].person")
            signers = tuple(User.objects.filter(public_id__in=p.signers))
            if len(signers) != len(set(p.signers)):
                raise NotFound("identity.user_not_found", f"parties[{i}].signers")
            parties.append(services.PartyInput(p.role, p.order, party_person, signers))
    envelope = drafting.create_from_template(
        enterprise=enterprise,
        person=person,
        version=version,
        fields=payload.fields,
        created_by=_user_of(who),
        parties=parties,
        deadline=payload.deadline,
        employment=employment,
        title=payload.title,
        idempotency_key=payload.idempotency_key,
        send=payload.send,
    )
    return Status(201, envelope_out(_get(request, envelope.public_id), who))


@router.get("/envelopes/{envelope_id}", response=EnvelopeOut)
def get_envelope(request: HttpRequest, envelope_id: str):
    return envelope_out(_get(request, envelope_id), principal(request))


@router.post("/envelopes/{envelope_id}/send", response=EnvelopeOut)
def send_envelope(request: HttpRequest, envelope_id: str):
    envelope = _get(request, envelope_id)
    _sender(request, envelope)
    services.send_envelope(envelope, actor=_user_of(principal(request)))
    return envelope_out(_get(request, envelope_id), principal(request))


@router.post("/envelopes/{envelope_id}/seal", response=EnvelopeOut)
def seal_envelope(request: HttpRequest, envelope_id: str, payload: SealIn):
    envelope = _get(request, envelope_id)
    who = principal(request)
    if getattr(who, "token", None) is not None:
        # Sole control (Electronic Signature Law Art. 13): a seal is used by a person.
        raise InvalidInput(
            "envelope.seal_needs_person",
            "盖章须由授权人事人员本人使用动态口令完成，API 令牌不能盖章。",
            "Sealing needs an authorised HR person with their second factor; a token cannot seal.",
        )
    _sender(request, envelope)
    services.seal(envelope, user=who, otp_token=payload.otp, seal_id=payload.seal)
    return envelope_out(_get(request, envelope_id), who)


@router.post("/envelopes/{envelope_id}/withdraw", response=EnvelopeOut)
def withdraw_envelope(request: HttpRequest, envelope_id: str, payload: ReasonIn):
    envelope = _get(request, envelope_id)
    who = _sender(request, envelope)
    services.withdraw(envelope, user=who, reason=payload.reason)
    return envelope_out(_get(request, envelope_id), who)


@router.post("/envelopes/{envelope_id}/void", response=EnvelopeOut)
def void_envelope(request: HttpRequest, envelope_id: str, payload: ReasonIn):
    envelope = _get(request, envelope_id)
    who = _sender(request, envelope)
    services.void(envelope, user=who, reason=payload.reason)
    return envelope_out(_get(request, envelope_id), who)


# ---- a personal party (worker, legal representative) -------------------------------------------


def _my_party(request: HttpRequest, envelope_id: str) -> Party:
    envelope = _get(request, envelope_id)
    return services.personal_party(envelope, principal(request))


@router.post("/envelopes/{envelope_id}/reject", response=EnvelopeOut)
def reject_envelope(request: HttpRequest, envelope_id: str, payload: ReasonIn):
    party = _my_party(request, envelope_id)
    services.reject(party, reason=payload.reason, user=principal(request))
    return envelope_out(_get(request, envelope_id), principal(request))


@router.post("/envelopes/{envelope_id}/consent", response=EnvelopeOut)
def consent(request: HttpRequest, envelope_id: str):
    services.record_consent(_my_party(request, envelope_id))
    return envelope_out(_get(request, envelope_id), principal(request))


@router.put("/envelopes/{envelope_id}/signature-image", response={204: None})
def put_signature_image(request: HttpRequest, envelope_id: str, payload: SignatureImageIn):
    party = _my_party(request, envelope_id)
    try:
        png = base64.b64decode(payload.png_base64.split(",")[-1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(
            "envelope.signature_image_invalid",
            "手写签名图片无效（须为 PNG，且不超过 300 KB）。",
            "The handwritten signature must be a PNG of at most 300 KB.",
            "png_base64",
        ) from exc
    services.save_signature_image(party, png)
    return Status(204, None)


@router.post("/envelopes/{envelope_id}/signing-code", response={202: None})
def request_code(request: HttpRequest, envelope_id: str):
    services.request_code(_my_party(request, envelope_id))
    return Status(202, None)


@router.post("/envelopes/{envelope_id}/sign", response=EnvelopeOut)
def sign(request: HttpRequest, envelope_id: str, payload: CodeIn):
    party = _my_party(request, envelope_id)
    services.sign_personal(party, code=payload.code, user=principal(request))
    return envelope_out(_get(request, envelope_id), principal(request))


# ---- documents ----------------------------------------------------------------------------------


def document_response(request: HttpRequest, envelope: Envelope, position: int) -> HttpResponse:
    who = principal(request)
    if not services.may_see_document(who, envelope):
        raise NotFound("core.not_found")
    doc = EnvelopeDocument.objects.filter(envelope=envelope, position=position).first()
    if doc is None:
        raise NotFound("core.not_found")
    data = providers.load_document(doc.current_sha256)
    # The document carries personal data (name, identity number): every download is logged.
    audit.record(
        "envelopes.document.download",
        envelope,
        changes={"document": [None, doc.number], "sha256": [None, doc.current_sha256]},
    )
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{doc.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/envelopes/{envelope_id}/documents/{position}.pdf")
def get_document(request: HttpRequest, envelope_id: str, position: int):
    return document_response(request, _get(request, envelope_id), position)
