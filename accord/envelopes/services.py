"""Envelopes: create, send, sign in order, reject, withdraw, void, expire, remind, complete.

The rules (issue #6, LAW.md):

- Signing order: parties sign by ``order``; parties sharing an order sign in any order. A later
  signer is neither notified nor shown the document before every earlier one has signed.
- The enterprise seals through its seal (accord.seals: who may use it, approvals, usage log)
  with a fresh second factor; a person signs with an event certificate after a code bound to
  the exact document (accord.signing, Electronic Signature Law Art. 13).
- A labour contract is concluded in writing (LCL Art. 10); the electronic form needs both
  sides' agreement (MOHRSS 2021 No. 54 guideline), so the worker's consent is recorded before
  they sign, with its time and wording.
- Every state change is in the audit log; every signature, and so the final document, is in
  the evidence ledger; parties are told of completion; the worker's copy is theirs (Art. 16).
- Retention: kept at least two years after the relationship ends (LCL Art. 50).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.contracts.models import DocumentKind, TemplateVersion
from accord.core import audit
from accord.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from accord.core.events import publish
from accord.core.notifications import request_notification
from accord.envelopes.models import Envelope, EnvelopeDocument, Party, PartySignature
from accord.identity.models import Employment, Enterprise, Person, Role
from accord.signing import providers
from accord.signing import services as signing
from accord.signing.pdf import open_pdf

ART_10 = "《劳动合同法》第十条 / LCL Art. 10"
ART_16 = "《劳动合同法》第十六条 / LCL Art. 16"
ART_50 = "《劳动合同法》第五十条 / LCL Art. 50"
MOHRSS_54 = "人社厅发〔2021〕54号《电子劳动合同订立指引》"

CONSENT_TEXT = (
    "本人同意以电子形式订立、履行、变更、解除或终止劳动合同及相关文书，电子文书与纸质文书具有同等效力。"
    " / I agree to conclude this document in electronic form; it has the same effect as paper."
)
MAX_DOCUMENTS = 10
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DEFAULT_DEADLINE_DAYS = 7
REMINDER_INTERVAL = timedelta(days=1)
MAX_REMINDERS = 3
RETENTION_YEARS = 2  # LCL Art. 50: at least two years after the relationship ends

LIFECYCLE_TOPICS = {
    DocumentKind.OFFER: "lifecycle.offered",
    DocumentKind.LABOUR_FIXED: "lifecycle.hired",
    DocumentKind.LABOUR_OPEN_ENDED: "lifecycle.hired",
    DocumentKind.LABOUR_TASK: "lifecycle.hired",
    DocumentKind.LABOUR_PART_TIME: "lifecycle.hired",
    DocumentKind.CONFIRMATION: "lifecycle.confirmed",
    DocumentKind.CHANGE: "lifecycle.changed",
    DocumentKind.RENEWAL: "lifecycle.renewed",
    DocumentKind.TERMINATION: "lifecycle.left",
    DocumentKind.LEAVING_CERTIFICATE: "lifecycle.leaving_certified",
}

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_number(today: dt.date | None = None) -> str:
    """A document number people can read out: ``FY20261125-7K3Q9D2M``."""
    day = today or timezone.localdate()
    return f"FY{day:%Y%m%d}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def _link_hash(token: str) -> str:
    return hashlib.sha256(f"envelope-link:{token}".encode()).hexdigest()


# ---- who may do what ------------------------------------------------------------------------


def is_sender(user, envelope: Envelope) -> bool:
    """HR of the envelope's enterprise (or its API token's user)."""
    return envelope.enterprise_id in getattr(user, "enterprise_ids", set())


def party_of(user, envelope: Envelope) -> Party | None:
    """The personal party this user is in the envelope, if any."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return None
    for party in envelope.parties.all():
        if party.person_id == person_id and party.role in Party.PERSONAL_ROLES:
            return party
    return None


def may_see_document(user, envelope: Envelope) -> bool:
    """The sender sees it; a personal party only from their turn on (issue #6: a later signer is
    neither notified nor shown the document before the earlier ones finish)."""
    if is_sender(user, envelope) or user.has_role(Role.ADMIN, Role.BUREAU_OFFICER, Role.AUDITOR):
        return True
    party = party_of(user, envelope)
    return party is not None and party.status in (
        Party.Status.READY,
        Party.Status.SIGNED,
        Party.Status.REJECTED,
    )


def _not_party() -> PermissionDenied:
    return PermissionDenied(
        "envelope.not_a_party",
        "您不是该文件的签署方。",
        "You are not a signing party of this document.",
    )


# ---- creating ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentInput:
    name: str
    kind: str
    pdf: bytes


@dataclass(frozen=True)
class PartyInput:
    role: str
    order: int
    person: Person | None = None
    signers: tuple = ()


def default_parties(person: Person, signers: Iterable = ()) -> list[PartyInput]:
    """The usual order: the enterprise seals first, then the worker signs."""
    return [
        PartyInput(Party.Role.ENTERPRISE, 1, signers=tuple(signers)),
        PartyInput(Party.Role.WORKER, 2, person=person),
    ]


def _check_parties(enterprise: Enterprise, person: Person, parties: list[PartyInput]) -> None:
    problems: list[Problem] = []
    roles = [p.role for p in parties]
    if roles.count(Party.Role.ENTERPRISE) != 1:
        problems.append(
            Problem(
                "envelope.enterprise_party_required",
                "须有且仅有一个用人单位盖章方。",
                "Exactly one enterprise (seal) party is required.",
                "parties",
            )
        )
    workers = [p for p in parties if p.role == Party.Role.WORKER]
    if len(workers) != 1 or workers[0].person is None or workers[0].person.pk != person.pk:
        problems.append(
            Problem(
                "envelope.worker_party_required",
                "须有且仅有一个劳动者签署方，且为文件所涉劳动者本人。",
                "Exactly one worker party is required: the worker the document concerns.",
                "parties",
            )
        )
    for i, p in enumerate(parties):
        if p.role not in Party.Role.values:
            problems.append(
                Problem(
                    "envelope.party_role_unknown",
                    "签署方角色无效。",
                    "Unknown party role.",
                    f"parties[{i}].role",
                )
            )
        if p.role in Party.PERSONAL_ROLES and p.person is None:
            problems.append(
                Problem(
                    "envelope.party_person_required",
                    "个人签署方须指定人员。",
                    "A personal party needs a person.",
                    f"parties[{i}].person",
                )
            )
        if p.role in Party.PERSONAL_ROLES and p.person is not None and not p.person.phone:
            problems.append(
                Problem(
                    "envelope.party_phone_missing",
                    "签署人未登记手机号，无法接收签署通知和验证码。",
                    "The signer has no phone number for the signing link and code.",
                    f"parties[{i}].person",
                )
            )
        if not 1 <= p.order <= 20:
            problems.append(
                Problem(
                    "envelope.party_order_invalid",
                    "签署顺序应为 1–20。",
                    "Signing order is 1 to 20.",
                    f"parties[{i}].order",
                )
            )
        for user in p.signers:
            if enterprise.pk not in user.enterprise_ids:
                problems.append(
                    Problem(
                        "envelope.signer_not_hr",
                        "盖章经办人须为本企业人事人员。",
                        "Sealing users must be HR staff of this enterprise.",
                        f"parties[{i}].signers",
                    )
                )
    if problems:
        raise InvalidInput.from_problems(problems)


def _check_documents(documents: list[DocumentInput]) -> list[int]:
    """Each document's page count; raises for a bad one."""
    if not 1 <= len(documents) <= MAX_DOCUMENTS:
        raise InvalidInput(
            "envelope.documents_count",
            f"一个信封含 1–{MAX_DOCUMENTS} 份文件。",
            f"An envelope holds 1 to {MAX_DOCUMENTS} documents.",
            "documents",
        )
    for i, doc in enumerate(documents):
        if len(doc.pdf) > MAX_DOCUMENT_BYTES:
            raise InvalidInput(
                "envelope.document_too_large",
                "文件超过 20 MB。",
                "The document is larger than 20 MB.",
                f"documents[{i}]",
            )
    pages = []
    for doc in documents:
        # open_pdf raises signing.pdf_* for encrypted, malformed, script-bearing files.
        reader = open_pdf(doc.pdf)
        try:
            pages.append(int(reader.root["/Pages"]["/Count"]))
        except (KeyError, TypeError, ValueError):  # the count is a display aid only
            pages.append(0)
    return pages


@transaction.atomic
def create_envelope(
    *,
    enterprise: Enterprise,
    person: Person,
    title: str,
    kind: str,
    documents: list[DocumentInput],
    created_by=None,
    parties: list[PartyInput] | None = None,
    deadline: dt.datetime | None = None,
    employment: Employment | None = None,
    template_version: TemplateVersion | None = None,
    values: dict[str, Any] | None = None,
    idempotency_key: str = "",
    batch=None,
    send: bool = False,
    number: str = "",
) -> Envelope:
    """A draft envelope (or a sent one with ``send=True``). The same ``idempotency_key`` twice
    returns the first envelope and creates nothing."""
    if idempotency_key:
        existing = Envelope.objects.filter(
            enterprise=enterprise, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return existing
    if kind not in DocumentKind.values:
        raise InvalidInput(
            "envelope.kind_unknown", "文件类型无效。", "Unknown document kind.", "kind"
        )
    title = (title or "").strip()
    if not title:
        raise InvalidInput("core.required", "此项为必填项。", "This field is required.", "title")
    parties = parties or default_parties(person)
    _check_parties(enterprise, person, parties)
    page_counts = _check_documents(documents)
    if deadline is not None and timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)  # a time without zone is Shanghai's
    if deadline is not None and deadline <= timezone.now():
        raise InvalidInput(
            "envelope.deadline_past",
            "签署截止时间须晚于现在。",
            "The signing deadline must be in the future.",
            "deadline",
        )
    if employment is None:
        employment = (
            Employment.objects.filter(person=person, enterprise=enterprise)
            .order_by("end_date", "-start_date")
            .first()
        )
    envelope = Envelope.objects.create(
        enterprise=enterprise,
        person=person,
        employment=employment,
        number=number or new_number(),
        title=title[:200],
        kind=kind,
        template_version=template_version,
        values=values or {},
        created_by=created_by,
        deadline=deadline,
        idempotency_key=idempotency_key[:100],
        batch=batch,
    )
    for position, doc in enumerate(documents, start=1):
        digest = providers.store_document(doc.pdf)
        EnvelopeDocument.objects.create(
            envelope=envelope,
            position=position,
            name=(doc.name or title)[:200],
            kind=doc.kind if doc.kind in DocumentKind.values else kind,
            original_sha256=digest,
            current_sha256=digest,
            pages=page_counts[position - 1],
            size=len(doc.pdf),
        )
    for p in parties:
        party = Party.objects.create(envelope=envelope, order=p.order, role=p.role, person=p.person)
        if p.signers:
            party.signers.set(p.signers)
    for p in parties:
        if p.person is not None:
            _ensure_account(p.person)
    audit.record(
        "envelopes.envelope.create",
        envelope,
        changes={
            "status": [None, envelope.status],
            "kind": [None, kind],
            "documents": [None, len(documents)],
            "parties": [None, [f"{p.order}:{p.role}" for p in parties]],
        },
    )
    if send:
        envelope = send_envelope(envelope, actor=created_by, _created=True)
    return envelope


def _ensure_account(person: Person) -> None:
    from accord.identity.employment import ensure_worker_account

    ensure_worker_account(person)


# ---- sending, the order, completion ----------------------------------------------------------


@transaction.atomic
def send_envelope(
    envelope: Envelope, *, actor=None, deadline_days: int | None = None, _created: bool = False
) -> Envelope:
    # An envelope created in this same transaction is ours alone: no need to lock it again.
    envelope = envelope if _created else _locked(envelope)
    if envelope.status != Envelope.Status.DRAFT:
        raise Conflict(
            "envelope.not_draft",
            "只有草稿可以发送。",
            "Only a draft can be sent.",
            "status",
        )
    now = timezone.now()
    envelope.status = Envelope.Status.SENT
    envelope.sent_at = now
    if envelope.deadline is None:
        envelope.deadline = now + timedelta(days=deadline_days or DEFAULT_DEADLINE_DAYS)
    envelope.save(update_fields=["status", "sent_at", "deadline", "updated_at"])
    audit.record(
        "envelopes.envelope.send",
        envelope,
        changes={"status": ["draft", "sent"], "deadline": [None, envelope.deadline.isoformat()]},
    )
    publish("envelope.sent", _payload(envelope))
    _advance(envelope)
    return envelope


def _locked(envelope: Envelope) -> Envelope:
    return (
        Envelope.objects.select_for_update(of=("self",))
        .select_related("enterprise__street", "enterprise__industry", "person")
        .get(pk=envelope.pk)
    )


def _payload(envelope: Envelope, **extra: Any) -> dict[str, Any]:
    enterprise = envelope.enterprise
    return {
        "envelope": str(envelope.public_id),
        "number": envelope.number,
        "enterprise": str(enterprise.public_id),
        "street": enterprise.street.code,
        "industry": enterprise.industry.code,
        "kind": envelope.kind,
        "status": envelope.status,
        **extra,
    }


def _advance(envelope: Envelope) -> None:
    """Open the next group of signers, or complete the envelope when everyone has signed."""
    parties = list(envelope.parties.select_for_update().order_by("order", "id"))
    pending = [p for p in parties if p.status != Party.Status.SIGNED]
    if not pending:
        _complete(envelope, parties)
        return
    current = min(p.order for p in pending)
    now = timezone.now()
    for party in pending:
        if party.order == current and party.status == Party.Status.WAITING:
            party.notified_at = now
            # A batch is sealed from its page (批量盖章): no "your turn" notice per envelope.
            quiet = bool(envelope.batch_id) and party.role == Party.Role.ENTERPRISE
            _party_moves(
                envelope,
                party,
                Party.Status.READY,
                ["notified_at"],
                "ready",
                publish_event=not quiet,
            )


def _complete(envelope: Envelope, parties: list[Party]) -> None:
    now = timezone.now()
    envelope.status = Envelope.Status.COMPLETED
    envelope.completed_at = now
    envelope.save(update_fields=["status", "completed_at", "updated_at"])
    final = {d.position: d.current_sha256 for d in envelope.documents.all()}
    audit.record(
        "envelopes.envelope.complete",
        envelope,
        changes={"status": ["sent", "completed"], "final_sha256": [None, final]},
    )
    publish("envelope.completed", _payload(envelope, documents=final))
    topic = LIFECYCLE_TOPICS.get(envelope.kind)
    if topic:
        publish(topic, _payload(envelope, date=timezone.localdate().isoformat()))
    _apply_lifecycle(envelope)


def _apply_lifecycle(envelope: Envelope) -> None:
    """What a completed lifecycle document changes in the employment record."""
    employment = envelope.employment
    if employment is None:
        return
    if envelope.kind == DocumentKind.TERMINATION and employment.end_date is None:
        leave_date = envelope.values.get("leave.date")
        try:
            end = dt.date.fromisoformat(str(leave_date)) if leave_date else timezone.localdate()
        except ValueError:
            end = timezone.localdate()
        from accord.identity.employment import end_employment

        end_employment(employment, end, reason=f"envelope {envelope.number}")
        employment.refresh_from_db()
    if employment.end_date is not None:
        set_retention(envelope.enterprise, envelope.person, employment.end_date)


def set_retention(enterprise: Enterprise, person: Person, end_date: dt.date) -> int:
    """Keep every signed document of this relationship until two years after it ended (Art. 50)."""
    until = (
        end_date.replace(year=end_date.year + RETENTION_YEARS)
        if not (end_date.month == 2 and end_date.day == 29)
        else dt.date(end_date.year + RETENTION_YEARS, 3, 1)
    )
    return (
        Envelope.objects.filter(enterprise=enterprise, person=person)
        .filter(Q(retain_until__isnull=True) | Q(retain_until__lt=until))
        .update(retain_until=until)
    )


# ---- the enterprise seals --------------------------------------------------------------------


def _require_open(envelope: Envelope) -> None:
    if envelope.status == Envelope.Status.COMPLETED:
        raise Conflict(
            "envelope.already_completed",
            "该文件已签署完成，不能再次签署。",
            "This document is already signed by everyone; it cannot be signed again.",
        )
    if envelope.status != Envelope.Status.SENT:
        raise Conflict(
            "envelope.not_open",
            f"该文件当前状态为“{envelope.get_status_display()}”，不能签署。",
            f"This document is {envelope.status}; it cannot be signed.",
            "status",
        )


def _require_turn(party: Party) -> None:
    if party.status == Party.Status.SIGNED:
        raise Conflict(
            "envelope.party_already_signed",
            "您已签署过该文件。",
            "You have already signed this document.",
        )
    if party.status != Party.Status.READY:
        raise Conflict(
            "envelope.not_your_turn",
            "尚未轮到您签署：须待前序签署方完成。",
            "It is not your turn yet: earlier signers must finish first.",
        )


def enterprise_party(envelope: Envelope) -> Party:
    return envelope.parties.get(role=Party.Role.ENTERPRISE)


def may_seal(user, party: Party) -> bool:
    if party.envelope.enterprise_id not in user.enterprise_ids:
        return False
    group = list(party.signers.all())
    return not group or user in group


def seal(
    envelope: Envelope, *, user, otp_token: str, seal_id=None, second_factor_checked: bool = False
) -> Envelope:
    """The enterprise party seals every document of the envelope; one TOTP code confirms the
    whole act (``second_factor_checked`` when the caller — ``seal_many`` — already checked it)."""
    envelope = Envelope.objects.select_related("enterprise").get(pk=envelope.pk)
    _require_open(envelope)
    party = enterprise_party(envelope)
    if not may_seal(user, party):
        raise PermissionDenied(
            "envelope.not_in_signing_group",
            "您不在本文件的盖章经办人之列。",
            "You are not one of the users who may seal this document.",
        )
    _require_turn(party)
    later_personal = envelope.parties.filter(
        role__in=Party.PERSONAL_ROLES, order__gt=party.order
    ).count()
    first = not envelope.parties.filter(order__lt=party.order).exists()
    results = []
    for doc in envelope.documents.all():
        pdf = providers.load_document(doc.current_sha256)
        signed = _use_seal(
            pdf,
            envelope=envelope,
            user=user,
            otp_token="" if second_factor_checked else otp_token,
            second_factor_checked=second_factor_checked,
            seal_id=seal_id or party.seal_id_hint,
            document_kind=doc.kind,
            # The first signer certifies the document: afterwards only the reserved signature
            # fields may be filled (PAdES certification with form lock).
            certify=first,
            reserve=later_personal if first else 0,
        )
        results.append((doc, signed))
        second_factor_checked = True  # one code for the whole act, never replayed
    with transaction.atomic():
        envelope = _locked(envelope)
        party = Party.objects.select_for_update().get(pk=party.pk)
        _require_open(envelope)
        _require_turn(party)
        for doc, signed in results:
            _store_signed(doc, party, signed)
        _mark_signed(envelope, party, user)
    return envelope


@dataclass
class SealManyResult:
    sealed: list[str]
    refused: dict[str, str]  # envelope number -> error code


def seal_many(envelopes: Iterable[Envelope], *, user, otp_token: str) -> SealManyResult:
    """批量盖章: seal many envelopes with one TOTP code, checked once before the first.

    Each envelope is sealed in its own transaction; one that cannot be sealed (not its turn,
    needs an approval) is reported by number and code, and the others go on."""
    from accord.core.errors import AccordError
    from accord.identity.auth import check_totp

    check_totp(user, otp_token)  # raises auth.totp_invalid; the code is used up here
    result = SealManyResult([], {})
    for envelope in envelopes:
        try:
            seal(envelope, user=user, otp_token="", second_factor_checked=True)
        except AccordError as exc:
            result.refused[envelope.number] = exc.code
        else:
            result.sealed.append(envelope.number)
    return result


def _seal_of(envelope: Envelope, document_kind: str, seal_id=None):
    from accord.seals import services as seals
    from accord.seals.models import Seal

    if seal_id:
        seal_obj = Seal.objects.filter(public_id=seal_id, enterprise=envelope.enterprise).first()
        if seal_obj is None:
            raise NotFound("seal.not_found", "seal")
        return seal_obj
    return seals.default_seal(envelope.enterprise, document_kind)


def needs_seal_approval(envelope: Envelope) -> bool:
    from accord.seals import services as seals

    return seals.needs_approval(envelope.enterprise, envelope.kind)


def request_seal_approval(envelope: Envelope, *, user, seal_id=None) -> list:
    """Ask a seal manager to approve sealing these exact documents (sensitive kinds, e.g. a
    termination notice); the approval is bound to each document's SHA-256."""
    from accord.seals import services as seals

    envelope = Envelope.objects.select_related("enterprise").get(pk=envelope.pk)
    _require_open(envelope)
    party = enterprise_party(envelope)
    if not may_seal(user, party):
        raise PermissionDenied(
            "envelope.not_in_signing_group",
            "您不在本文件的盖章经办人之列。",
            "You are not one of the users who may seal this document.",
        )
    approvals = []
    for doc in envelope.documents.all():
        seal_obj = _seal_of(envelope, doc.kind, seal_id or party.seal_id_hint)
        approvals.append(
            seals.request_approval(
                seal_obj,
                user=user,
                document_sha256=doc.current_sha256,
                title=f"{envelope.number} {envelope.title}",
                document_kind=doc.kind,
            )
        )
    return approvals


def _use_seal(
    pdf: bytes,
    *,
    envelope: Envelope,
    user,
    otp_token: str,
    seal_id,
    document_kind: str,
    certify: bool,
    reserve: int,
    second_factor_checked: bool = False,
) -> signing.SignedDocument:
    from accord.seals import services as seals

    seal_obj = _seal_of(envelope, document_kind, seal_id)
    return seals.use_seal(
        pdf,
        seal=seal_obj,
        user=user,
        otp_token=otp_token,
        document_kind=document_kind,
        title=f"{envelope.number} {envelope.title}",
        reserve_person_fields=reserve,
        certify=certify,
        **({"second_factor_checked": True} if second_factor_checked else {}),
    )


def _store_signed(doc: EnvelopeDocument, party: Party, signed: signing.SignedDocument) -> None:
    digest = providers.store_document(signed.pdf)
    EnvelopeDocument.objects.filter(pk=doc.pk).update(current_sha256=digest, size=len(signed.pdf))
    PartySignature.objects.create(party=party, document=doc, signature=signed.signature)


def _mark_signed(envelope: Envelope, party: Party, user) -> None:
    party.signed_at = timezone.now()
    party.signed_by = user
    _party_moves(envelope, party, Party.Status.SIGNED, ["signed_at", "signed_by"], "signed")
    _advance(envelope)


def _party_moves(
    envelope: Envelope,
    party: Party,
    status: str,
    fields: list[str],
    verb: str,
    *,
    publish_event: bool = True,
):
    """A party's state change: saved, audited and published (envelope.party_<verb>)."""
    before = party.status
    party.status = status
    party.save(update_fields=["status", *fields, "updated_at"])
    audit.record(
        f"envelopes.party.{'sign' if verb == 'signed' else verb}",
        party,
        enterprise_id=envelope.enterprise_id,
        changes={"status": [before, status]},
    )
    if publish_event:
        publish(
            f"envelope.party_{verb}",
            _payload(envelope, party=str(party.public_id), role=party.role),
        )


# ---- a person signs (worker, legal representative) --------------------------------------------


def personal_party(envelope: Envelope, user) -> Party:
    party = party_of(user, envelope)
    if party is None:
        raise _not_party()
    return party


@transaction.atomic
def record_view(party: Party, pages_read: int = 0) -> Party:
    party = Party.objects.select_for_update().get(pk=party.pk)
    fields = ["updated_at"]
    if party.viewed_at is None:
        party.viewed_at = timezone.now()
        fields.append("viewed_at")
        audit.record(
            "envelopes.party.view",
            party,
            enterprise_id=party.envelope.enterprise_id,
            changes={"viewed_at": [None, party.viewed_at.isoformat()]},
        )
    if pages_read > party.read_pages:
        party.read_pages = min(pages_read, 10_000)
        fields.append("read_pages")
    party.save(update_fields=fields)
    return party


@transaction.atomic
def record_consent(party: Party) -> Party:
    """The worker agrees to the electronic form (MOHRSS 2021 No. 54); recorded once, with text."""
    party = Party.objects.select_for_update().select_related("envelope").get(pk=party.pk)
    _require_open(party.envelope)
    _require_turn(party)
    if party.consent_at is None:
        party.consent_at = timezone.now()
        party.consent_text = CONSENT_TEXT[:400]
        party.save(update_fields=["consent_at", "consent_text", "updated_at"])
        audit.record(
            "envelopes.party.consent",
            party,
            enterprise_id=party.envelope.enterprise_id,
            changes={"consent_at": [None, party.consent_at.isoformat()]},
        )
    return party


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_IMAGE = 300 * 1024


@transaction.atomic
def save_signature_image(party: Party, png: bytes) -> Party:
    """Keep the drawn signature so an interrupted signing resumes with it."""
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_IMAGE:
        raise InvalidInput(
            "envelope.signature_image_invalid",
            "手写签名图片无效（须为 PNG，且不超过 300 KB）。",
            "The handwritten signature must be a PNG of at most 300 KB.",
            "signature_image",
        )
    party = Party.objects.select_for_update().select_related("envelope").get(pk=party.pk)
    _require_open(party.envelope)
    _require_turn(party)
    party.signature_image = png
    party.save(update_fields=["signature_image", "updated_at"])
    audit.record(
        "envelopes.party.signature_image",
        party,
        enterprise_id=party.envelope.enterprise_id,
        changes={"signature_image_sha256": [None, hashlib.sha256(png).hexdigest()]},
    )
    return party


def _personal_checks(party: Party) -> EnvelopeDocument:
    envelope = party.envelope
    _require_open(envelope)
    _require_turn(party)
    if party.consent_at is None:
        raise Conflict(
            "envelope.consent_required",
            f"请先确认同意以电子形式订立。依据：{MOHRSS_54}。",
            "First agree to conclude the document in electronic form (MOHRSS 2021 No. 54).",
            "consent",
        )
    if not party.signature_image:
        raise Conflict(
            "envelope.signature_image_required",
            "请先手写签名。",
            "Draw your signature first.",
            "signature_image",
        )
    return next_unsigned_document(party)


def next_unsigned_document(party: Party) -> EnvelopeDocument:
    done = set(PartySignature.objects.filter(party=party).values_list("document_id", flat=True))
    for doc in party.envelope.documents.all():
        if doc.pk not in done:
            return doc
    raise Conflict(
        "envelope.party_already_signed",
        "您已签署过该文件。",
        "You have already signed this document.",
    )


def request_code(party: Party) -> Party:
    """Text the person a code bound to the exact document they are about to sign."""
    party = Party.objects.select_related("envelope", "person", "intent").get(pk=party.pk)
    doc = _personal_checks(party)
    pdf = providers.load_document(doc.current_sha256)
    intent = party.intent
    if (
        intent is not None
        and intent.document_sha256 == doc.current_sha256
        and intent.status in (intent.Status.PENDING,)
    ):
        signing.send_signing_code(intent)  # a fresh code for the same intent; the old one dies
    else:
        with transaction.atomic():
            intent = signing.request_signing_code(
                party.person, pdf, document_name=doc.name, auth_method="sms-link+session"
            )
            Party.objects.filter(pk=party.pk).update(intent=intent, updated_at=timezone.now())
    party.refresh_from_db()
    return party


def sign_personal(party: Party, *, code: str, user=None) -> Envelope:
    """Sign the next document with the code; the envelope advances when all are signed."""
    party = Party.objects.select_related("envelope__enterprise", "person", "intent").get(
        pk=party.pk
    )
    doc = _personal_checks(party)
    if party.intent is None or party.intent.document_sha256 != doc.current_sha256:
        raise Conflict(
            "envelope.code_not_requested",
            "请先获取本文件的签署验证码。",
            "Ask for this document's signing code first.",
            "code",
        )
    pdf = providers.load_document(doc.current_sha256)
    signed = signing.sign_as_person(
        pdf,
        intent=party.intent,
        code=code,
        signature_image=bytes(party.signature_image or b""),
        reason=f"{party.get_role_display()}签署 / signed by the {party.role}",
        document_kind=doc.kind,
    )
    with transaction.atomic():
        envelope = _locked(party.envelope)
        locked = Party.objects.select_for_update().get(pk=party.pk)
        _require_turn(locked)
        _store_signed(doc, locked, signed)
        remaining = envelope.documents.exclude(
            pk__in=PartySignature.objects.filter(party=locked).values("document_id")
        ).exists()
        if remaining:
            Party.objects.filter(pk=locked.pk).update(intent=None)
        else:
            _mark_signed(envelope, locked, user)
    return envelope


# ---- ending without completion ---------------------------------------------------------------


@transaction.atomic
def reject(party: Party, *, reason: str, user=None) -> Envelope:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "envelope.reason_required",
            "请填写拒签原因。",
            "Give a reason for rejecting.",
            "reason",
        )
    envelope = _locked(party.envelope)
    party = Party.objects.select_for_update().get(pk=party.pk)
    _require_open(envelope)
    _require_turn(party)
    party.status = Party.Status.REJECTED
    party.reject_reason = reason[:500]
    party.save(update_fields=["status", "reject_reason", "updated_at"])
    audit.record(
        "envelopes.party.reject",
        party,
        enterprise_id=envelope.enterprise_id,
        changes={"status": ["ready", "rejected"], "reason": [None, reason[:500]]},
    )
    return _end(envelope, Envelope.Status.REJECTED, reason, "envelope.rejected")


@transaction.atomic
def withdraw(envelope: Envelope, *, user, reason: str = "") -> Envelope:
    """The sender takes back an envelope nobody has signed yet."""
    envelope = _locked(envelope)
    if not is_sender(user, envelope):
        raise _not_party()
    if envelope.status not in Envelope.OPEN:
        raise Conflict(
            "envelope.not_open",
            f"该文件当前状态为“{envelope.get_status_display()}”，不能撤回。",
            f"This document is {envelope.status}; it cannot be withdrawn.",
            "status",
        )
    if envelope.parties.filter(status=Party.Status.SIGNED).exists():
        raise Conflict(
            "envelope.withdraw_after_signature",
            "已有签署方签署，不能撤回，只能作废并说明理由。",
            "Someone has already signed; void the envelope with a reason instead.",
            "status",
        )
    return _end(envelope, Envelope.Status.WITHDRAWN, reason, "envelope.withdrawn")


@transaction.atomic
def void(envelope: Envelope, *, user, reason: str) -> Envelope:
    """Cancel an envelope in progress after some signatures, with a reason everybody sees.

    A completed document is binding and is never voided unilaterally: it is ended by a further
    document (a change agreement, a termination notice)."""
    envelope = _locked(envelope)
    if not is_sender(user, envelope):
        raise _not_party()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "envelope.reason_required", "请填写作废原因。", "Give a reason for voiding.", "reason"
        )
    if envelope.status == Envelope.Status.COMPLETED:
        raise Conflict(
            "envelope.completed_not_voidable",
            "已完成签署的文件具有法律效力，不能单方作废；请通过变更协议或解除（终止）通知处理。",
            "A completed document is binding and cannot be voided by one side; "
            "use a change agreement or a termination notice.",
            "status",
        )
    if envelope.status not in Envelope.OPEN:
        raise Conflict(
            "envelope.not_open",
            f"该文件当前状态为“{envelope.get_status_display()}”，不能作废。",
            f"This document is {envelope.status}; it cannot be voided.",
            "status",
        )
    return _end(envelope, Envelope.Status.VOIDED, reason, "envelope.voided")


def _end(envelope: Envelope, status: str, reason: str, topic: str) -> Envelope:
    before = envelope.status
    envelope.status = status
    envelope.ended_at = timezone.now()
    envelope.end_reason = (reason or "")[:500]
    envelope.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
    envelope.parties.filter(status__in=[Party.Status.WAITING, Party.Status.READY]).update(
        status=Party.Status.CLOSED, updated_at=timezone.now()
    )
    audit.record(
        f"envelopes.envelope.{status}",
        envelope,
        changes={"status": [before, status], "reason": [None, envelope.end_reason]},
    )
    publish(topic, _payload(envelope, reason=envelope.end_reason))
    return envelope


# ---- time: reminders and expiry (run by the periodic checks) ---------------------------------


def expire_due(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    ids = list(
        Envelope.objects.filter(status=Envelope.Status.SENT, deadline__lte=now).values_list(
            "pk", flat=True
        )[:1000]
    )
    for pk in ids:
        with transaction.atomic():
            envelope = _locked(Envelope(pk=pk))
            if envelope.status == Envelope.Status.SENT and envelope.deadline <= now:
                _end(
                    envelope,
                    Envelope.Status.EXPIRED,
                    "签署期限届满 / deadline passed",
                    "envelope.expired",
                )
                count += 1
    return count


def remind_due(now: dt.datetime | None = None) -> int:
    """Remind parties whose turn it is, at most daily and MAX_REMINDERS times per envelope."""
    now = now or timezone.now()
    due = Envelope.objects.filter(
        status=Envelope.Status.SENT,
        sent_at__lte=now - REMINDER_INTERVAL,
        reminders_sent__lt=MAX_REMINDERS,
    ).filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - REMINDER_INTERVAL))
    count = 0
    for pk in list(due.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            envelope = _locked(Envelope(pk=pk))
            envelope.reminders_sent += 1
            envelope.last_reminded_at = now
            envelope.save(update_fields=["reminders_sent", "last_reminded_at", "updated_at"])
            for party in envelope.parties.filter(status=Party.Status.READY):
                publish(
                    "envelope.party_ready",
                    _payload(envelope, party=str(party.public_id), role=party.role, reminder=True),
                )
            audit.record(
                "envelopes.envelope.remind",
                envelope,
                changes={"reminders_sent": [envelope.reminders_sent - 1, envelope.reminders_sent]},
            )
            count += 1
    return count


# ---- notifications (outbox subscriber: at-least-once, each event once) ----------------------


def notify_party(event) -> None:
    """Tell a party it is their turn: SMS with a personal link for a person, inbox for HR."""
    party = (
        Party.objects.select_related("envelope__enterprise", "person")
        .filter(public_id=event.payload["party"])
        .first()
    )
    if party is None or party.status != Party.Status.READY:
        return
    envelope = party.envelope
    reminder = "（提醒）" if event.payload.get("reminder") else ""
    if party.role in Party.PERSONAL_ROLES and party.person is not None:
        token = secrets.token_urlsafe(24)
        Party.objects.filter(pk=party.pk).update(link_token_hash=_link_hash(token))
        from accord.core.notifications import send_sms

        base = getattr(settings, "ACCORD_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        send_sms(
            party.person.phone,
            f"【福易签】{reminder}{envelope.enterprise.name}请您签署《{envelope.title}》，"
            f"截止 {timezone.localtime(envelope.deadline):%m-%d %H:%M}。点击 {base}/s/{token} 查看并签署。",
        )
        user = getattr(party.person, "user", None)
        if user is not None:
            request_notification(
                user,
                f"待签署：{envelope.title}",
                f"{envelope.enterprise.name} · {envelope.number}",
                f"/my/sign/{party.public_id}",
            )
        return
    if envelope.batch_id:
        # A batch is sealed from its own page (批量盖章): no inbox notice (nor a daily reminder)
        # per envelope to HR — ten thousand of them would bury everything else.
        return
    for user in _sealers(party):
        request_notification(
            user,
            f"{reminder}待盖章：{envelope.title}",
            f"{envelope.number}",
            f"/envelopes/{envelope.public_id}/",
        )


def _sealers(party: Party) -> list:
    group = list(party.signers.all())
    if group:
        return group
    from accord.identity.models import User

    return list(
        User.objects.filter(
            memberships__enterprise_id=party.envelope.enterprise_id,
            memberships__role=Role.HR,
            memberships__active=True,
            is_active=True,
        ).distinct()[:20]
    )


def notify_completion(event) -> None:
    envelope = (
        Envelope.objects.select_related("enterprise", "person__user", "created_by")
        .filter(public_id=event.payload["envelope"])
        .first()
    )
    if envelope is None:
        return
    users = {u.pk: u for u in _sealers(enterprise_party(envelope))}
    if envelope.created_by is not None:
        users[envelope.created_by.pk] = envelope.created_by
    workers = {}
    for party in envelope.parties.filter(person__isnull=False).select_related("person__user"):
        user = getattr(party.person, "user", None)
        if user is not None:
            workers[user.pk] = user
        if party.person.phone:
            from accord.core.notifications import send_sms

            send_sms(
                party.person.phone,
                f"【福易签】《{envelope.title}》已签署完成，您可随时登录查看和下载（编号 {envelope.number}）。",
            )
    for user in users.values():
        request_notification(
            user, f"已完成：{envelope.title}", envelope.number, f"/envelopes/{envelope.public_id}/"
        )
    for user in workers.values():
        request_notification(user, f"已完成：{envelope.title}", envelope.number, "/my/documents")


# ---- archiving (PAdES B-LTA) ------------------------------------------------------------------


def archive_documents(envelope: Envelope) -> int:
    """Give each document of a completed envelope its archive timestamp (B-LTA), or renew it;
    each archived version is recorded in the evidence ledger like a signature."""
    if envelope.status != Envelope.Status.COMPLETED:
        return 0
    done = 0
    for doc in envelope.documents.all():
        pdf = providers.load_document(doc.current_sha256)
        archived = signing.archive_timestamp(pdf, document_kind=doc.kind)
        digest = providers.store_document(archived.pdf)
        with transaction.atomic():
            updated = EnvelopeDocument.objects.filter(
                pk=doc.pk, current_sha256=doc.current_sha256
            ).update(
                current_sha256=digest,
                size=len(archived.pdf),
                archived_at=timezone.now(),
                archive_renew_after=signing.archive_renew_after(),
            )
            if updated:
                audit.record(
                    "envelopes.document.archive_timestamp",
                    envelope,
                    changes={
                        "document": [None, doc.number],
                        "sha256": [doc.current_sha256, digest],
                    },
                )
                done += 1
    return done


def archive_completed(event) -> None:
    envelope = Envelope.objects.filter(public_id=event.payload["envelope"]).first()
    if envelope is not None and not envelope.documents.filter(archived_at__isnull=False).exists():
        archive_documents(envelope)


def renew_archives_due(today: dt.date | None = None, limit: int = 200) -> int:
    today = today or timezone.localdate()
    ids = (
        EnvelopeDocument.objects.filter(archive_renew_after__lte=today)
        .values_list("envelope_id", flat=True)
        .distinct()[:limit]
    )
    return sum(archive_documents(e) for e in Envelope.objects.filter(pk__in=list(ids)))


def party_for_link(token: str) -> Party:
    party = (
        Party.objects.select_related("envelope")
        .filter(link_token_hash=_link_hash(token))
        .exclude(link_token_hash="")
        .first()
    )
    if party is None:
        raise NotFound("envelope.link_unknown")
    return party
