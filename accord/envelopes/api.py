"""Envelope API for HR staff, HR systems (scoped tokens) and workers.

HR systems create and send envelopes with an enterprise token; sealing needs a person with a
fresh second factor (Electronic Signature Law Art. 13: sole control), so a token cannot seal.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema, Status

from accord.core.api import principal
from accord.core.errors import forbidden
from accord.core.inputs import Moment
from accord.core.pagination import paginate
from accord.core.scoping import get_scoped, scoped
from accord.envelopes import drafting, services
from accord.envelopes.http import pdf_response
from accord.envelopes.models import Envelope, Party
from accord.identity.selectors import managed_enterprise
from accord.seals import services as seals

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
    deadline: Moment | None = None
    send: bool = False
    idempotency_key: str = ""


class ReadIn(Schema):
    pages: int


class ReadOut(Schema):
    read_pages: int
    total: int


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
    envelope, created = drafting.draft(
        enterprise=enterprise,
        template_version=payload.template_version,
        employment=payload.employment,
        person=payload.person,
        parties=None
        if payload.parties is None
        else [
            services.PartySpec(p.role, p.order, p.person, tuple(p.signers)) for p in payload.parties
        ],
        fields=payload.fields,
        created_by=_user_of(who),
        deadline=payload.deadline,
        title=payload.title,
        idempotency_key=payload.idempotency_key,
        send=payload.send,
    )
    return Status(201 if created else 200, envelope_out(_get(request, envelope.public_id), who))


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
    seals.require_person_for_sealing(who)  # Electronic Signature Law Art. 13: sole control
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


@router.post("/envelopes/{envelope_id}/read", response=ReadOut)
def record_read(request: HttpRequest, envelope_id: str, payload: ReadIn):
    """Pages 1..``pages`` (counted across the documents) have been shown to the person."""
    party = services.record_view(_my_party(request, envelope_id), payload.pages)
    envelope = party.envelope
    total = services.total_pages(envelope)
    return {"read_pages": min(party.read_pages, total), "total": total}


@router.post("/envelopes/{envelope_id}/consent", response=EnvelopeOut)
def consent(request: HttpRequest, envelope_id: str):
    """The electronic form agreed to (人社厅发〔2021〕54号), only after every page was read."""
    services.record_consent(_my_party(request, envelope_id))
    return envelope_out(_get(request, envelope_id), principal(request))


@router.put("/envelopes/{envelope_id}/signature-image", response={204: None})
def put_signature_image(request: HttpRequest, envelope_id: str, payload: SignatureImageIn):
    party = _my_party(request, envelope_id)
    services.save_signature_image(party, services.decode_png(payload.png_base64, "png_base64"))
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


@router.get("/envelopes/{envelope_id}/documents/{position}.pdf")
def get_document(request: HttpRequest, envelope_id: str, position: int):
    download = services.document_download(principal(request), _get(request, envelope_id), position)
    return pdf_response(request, download)
