"""Drafting an envelope: its parties (people of the enterprise only), its documents, and the rules
a new document must meet before anything is written.

- A party — the legal representative or any signer — is a person of the enterprise; anyone else,
  named by UUID (person UUIDs appear in signature certificates that /verify shows), is "not
  found": never accepted, never echoed, never given an account or a signing link.
- The 入/转/调/离 step must fit the employment (``lifecycle.require_fits``; LCL Art. 50: the
  certificate of leaving only after the employment ended).
- No second labour contract for the same worker and start date (LCL Art. 10: one written
  contract; a re-sent file must not conclude it twice).
- The same idempotency key twice returns the first envelope and creates nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.contracts.models import LABOUR_CONTRACT_KINDS, DocumentKind, TemplateVersion
from accord.core import audit
from accord.core.errors import REQUIRED, InvalidInput, Problem
from accord.envelopes import errors, lifecycle
from accord.envelopes.models import Envelope, EnvelopeDocument, Party
from accord.envelopes.services.base import MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, new_number
from accord.envelopes.services.sending import send_envelope
from accord.identity.employment import ensure_worker_account
from accord.identity.models import Employment, Enterprise, Person, Role, User
from accord.signing import providers
from accord.signing.pdf import open_pdf

# The envelopes that hold a labour contract: being signed or signed (a withdrawn, rejected,
# voided or expired one concluded nothing).
HOLDING = (Envelope.Status.DRAFT, Envelope.Status.SENT, Envelope.Status.COMPLETED)


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


@dataclass(frozen=True)
class PartySpec:
    """A party as a request names it: people and users by their public ids."""

    role: str
    order: int
    person: Any = None
    signers: tuple = ()


def default_parties(person: Person, signers: Iterable = ()) -> list[PartyInput]:
    """The usual order: the enterprise seals first, then the worker signs."""
    return [
        PartyInput(Party.Role.ENTERPRISE, 1, signers=tuple(signers)),
        PartyInput(Party.Role.WORKER, 2, person=person),
    ]


# ---- people and users of the enterprise -----------------------------------------------------


def _uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def enterprise_people(enterprise: Enterprise):
    """The people who may sign for or at the enterprise besides the worker: its current staff."""
    return Person.objects.filter(
        employments__enterprise=enterprise, employments__end_date__isnull=True
    ).distinct()


def enterprise_person(enterprise: Enterprise, public_id, field: str) -> Person:
    """A person with an employment at the enterprise (ended or not); anyone else is 404."""
    key = _uuid(public_id)
    person = (
        Person.objects.filter(public_id=key, employments__enterprise=enterprise).distinct().first()
        if key
        else None
    )
    if person is None:
        raise errors.PERSON_NOT_FOUND(field)
    return person


def enterprise_employment(enterprise: Enterprise, public_id, field: str = "employment"):
    key = _uuid(public_id)
    employment = (
        Employment.objects.filter(public_id=key, enterprise=enterprise)
        .select_related("person")
        .first()
        if key
        else None
    )
    if employment is None:
        raise errors.EMPLOYMENT_NOT_FOUND(field)
    return employment


def enterprise_hr_users(enterprise: Enterprise, public_ids, field: str) -> tuple[User, ...]:
    keys = {_uuid(v) for v in public_ids}
    if None in keys:
        raise errors.USER_NOT_FOUND(field)
    users = tuple(
        User.objects.filter(
            public_id__in=keys,
            is_active=True,
            memberships__enterprise=enterprise,
            memberships__role=Role.HR,
            memberships__active=True,
        ).distinct()
    )
    if len(users) != len(keys):
        raise errors.USER_NOT_FOUND(field)
    return users


def resolve_parties(
    enterprise: Enterprise, worker: Person, specs: list[PartySpec], *, fields: dict | None = None
) -> list[PartyInput]:
    """Parties named by public ids, each person and user looked up within the enterprise only.

    ``fields`` names the request field of each spec (the page's ``legal_rep``); by default
    ``parties[i].person`` and ``parties[i].signers``."""
    fields = fields or {}
    resolved = []
    for i, spec in enumerate(specs):
        person_field, signers_field = fields.get(
            i, (f"parties[{i}].person", f"parties[{i}].signers")
        )
        person = None
        if spec.person:
            if _uuid(spec.person) == worker.public_id:
                person = worker
            else:
                key = _uuid(spec.person)
                person = (
                    enterprise_people(enterprise).filter(public_id=key).first() if key else None
                )
                if person is None:
                    raise errors.PERSON_NOT_FOUND(person_field)
        signers = (
            enterprise_hr_users(enterprise, spec.signers, signers_field) if spec.signers else ()
        )
        resolved.append(PartyInput(spec.role, spec.order, person, signers))
    return resolved


def check_parties(enterprise: Enterprise, person: Person, parties: list[PartyInput]) -> None:
    problems: list[Problem] = []
    roles = [p.role for p in parties]
    if roles.count(Party.Role.ENTERPRISE) != 1:
        problems.append(errors.ENTERPRISE_PARTY_REQUIRED.problem())
    workers = [p for p in parties if p.role == Party.Role.WORKER]
    if len(workers) != 1 or workers[0].person is None or workers[0].person.pk != person.pk:
        problems.append(errors.WORKER_PARTY_REQUIRED.problem())
    staff = None
    seen: set[int] = set()
    for i, p in enumerate(parties):
        if p.person is not None and p.person.pk in seen:
            problems.append(errors.PARTY_PERSON_TWICE.problem(f"parties[{i}].person"))
        if p.person is not None:
            seen.add(p.person.pk)
        if p.role not in Party.Role.values:
            problems.append(errors.PARTY_ROLE_UNKNOWN.problem(f"parties[{i}].role"))
        if p.role in Party.PERSONAL_ROLES and p.person is None:
            problems.append(errors.PARTY_PERSON_REQUIRED.problem(f"parties[{i}].person"))
        if p.role in Party.PERSONAL_ROLES and p.person is not None and not p.person.phone:
            problems.append(errors.PARTY_PHONE_MISSING.problem(f"parties[{i}].person"))
        if p.person is not None and p.person.pk != person.pk:
            # A party other than the worker is a person of the enterprise, whoever built the
            # PartyInput (a page, the API, a batch): never somebody of another enterprise.
            staff = (
                staff
                if staff is not None
                else set(enterprise_people(enterprise).values_list("pk", flat=True))
            )
            if p.person.pk not in staff:
                raise errors.PERSON_NOT_FOUND(f"parties[{i}].person")
        if not 1 <= p.order <= 20:
            problems.append(errors.PARTY_ORDER_INVALID.problem(f"parties[{i}].order"))
        for user in p.signers:
            if enterprise.pk not in user.enterprise_ids:
                problems.append(errors.SIGNER_NOT_HR.problem(f"parties[{i}].signers"))
    if problems:
        raise InvalidInput.from_problems(problems)


def check_documents(documents: list[DocumentInput]) -> list[int]:
    """Each document's page count; raises for a bad one."""
    if not 1 <= len(documents) <= MAX_DOCUMENTS:
        raise errors.DOCUMENTS_COUNT(most=MAX_DOCUMENTS)
    for i, doc in enumerate(documents):
        if len(doc.pdf) > MAX_DOCUMENT_BYTES:
            raise errors.DOCUMENT_TOO_LARGE(f"documents[{i}]")
    pages = []
    for doc in documents:
        # open_pdf raises signing.pdf_* for encrypted, malformed, script-bearing files.
        reader = open_pdf(doc.pdf)
        try:
            pages.append(int(reader.root["/Pages"]["/Count"]))
        except (KeyError, TypeError, ValueError):  # the count is a display aid only
            pages.append(0)
    return pages


# ---- the rules a new document meets ---------------------------------------------------------


def find_by_idempotency_key(enterprise: Enterprise, key: str) -> Envelope | None:
    """The envelope this enterprise created with ``key`` before, if any."""
    if not key:
        return None
    return Envelope.objects.filter(enterprise=enterprise, idempotency_key=key[:100]).first()


def existing_labour_contract(
    enterprise: Enterprise, person: Person, start_date: dt.date | str | None
) -> Envelope | None:
    """The labour contract (being signed or signed) of this worker starting that day, if any."""
    day = str(start_date or "")[:10]
    if not day:
        return None
    return (
        Envelope.objects.filter(
            enterprise=enterprise,
            person=person,
            kind__in=LABOUR_CONTRACT_KINDS,
            status__in=HOLDING,
            **{"values__term.start_date": day},
        )
        .order_by("created_at", "id")
        .first()
    )


def require_one_contract(
    enterprise: Enterprise, person: Person, kind: str, start_date: dt.date | str | None
) -> None:
    """LCL Art. 10: one written labour contract per worker and start, never a second one."""
    if kind not in LABOUR_CONTRACT_KINDS:
        return
    if existing_labour_contract(enterprise, person, start_date) is not None:
        raise errors.CONTRACT_EXISTS(day=str(start_date)[:10])


def employment_for(
    enterprise: Enterprise, person: Person, employment: Employment | None
) -> Employment | None:
    """The employment a document concerns: the one named, else the worker's latest here."""
    if employment is not None:
        return employment
    return (
        Employment.objects.filter(person=person, enterprise=enterprise)
        .order_by("end_date", "-start_date")
        .first()
    )


def require_draftable(
    *,
    enterprise: Enterprise,
    person: Person,
    kind: str,
    employment: Employment | None,
    start_date: dt.date | str | None = None,
) -> None:
    """Everything a new document must meet before it is rendered or stored."""
    if kind not in DocumentKind.values:
        raise errors.KIND_UNKNOWN()
    lifecycle.require_fits(employment, kind)
    require_one_contract(enterprise, person, kind, start_date)


# ---- creating --------------------------------------------------------------------------------


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
    checked: bool = False,
) -> Envelope:
    """A draft envelope (or a sent one with ``send=True``). The same ``idempotency_key`` twice
    returns the first envelope and creates nothing. ``checked``: the caller (drafting from a
    template) already ran ``require_draftable`` for this worker, kind and employment."""
    existing = find_by_idempotency_key(enterprise, idempotency_key)
    if existing is not None:
        return existing
    if kind not in DocumentKind.values:
        raise errors.KIND_UNKNOWN()
    title = (title or "").strip()
    if not title:
        raise REQUIRED(field="title")
    employment = employment_for(enterprise, person, employment)
    if not checked:
        require_draftable(
            enterprise=enterprise,
            person=person,
            kind=kind,
            employment=employment,
            start_date=(values or {}).get("term.start_date"),
        )
    parties = parties or default_parties(person)
    check_parties(enterprise, person, parties)
    page_counts = check_documents(documents)
    if deadline is not None and timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)  # a time without zone is Shanghai's
    if deadline is not None and deadline <= timezone.now():
        raise errors.DEADLINE_PAST()
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
            ensure_worker_account(p.person)
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
