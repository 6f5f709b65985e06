"""Sending an envelope, opening each group of signers in turn, and completing it.

Signing order: parties sign by ``order``; parties sharing an order sign in any order. A later
signer is neither notified nor shown the document before every earlier one has signed. When
everyone has signed, the envelope completes, the lifecycle event is published and what the
document changes in the employment (a termination ends it) is applied; the documents of an ended
relationship are kept two years after its end (LCL Art. 50).
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.contracts.models import DocumentKind
from accord.core import audit
from accord.core.events import publish
from accord.envelopes import errors, policy
from accord.envelopes.models import Envelope, EnvelopeDocument, Party, PartySignature
from accord.envelopes.services.base import (
    DEFAULT_DEADLINE_DAYS,
    LIFECYCLE_TOPICS,
    RETENTION_YEARS,
    locked,
    party_moves,
    payload,
)
from accord.identity.employment import end_employment
from accord.identity.models import Enterprise, Person
from accord.signing import providers
from accord.signing import services as signing


@transaction.atomic
def send_envelope(
    envelope: Envelope, *, actor=None, deadline_days: int | None = None, _created: bool = False
) -> Envelope:
    # An envelope created in this same transaction is ours alone: no need to lock it again.
    envelope = envelope if _created else locked(envelope)
    if actor is not None:
        policy.can_send(actor, envelope).enforce()
    elif envelope.status != Envelope.Status.DRAFT:
        raise errors.NOT_DRAFT()
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
    publish("envelope.sent", payload(envelope))
    advance(envelope)
    return envelope


def advance(envelope: Envelope) -> None:
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
            party_moves(
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
    publish("envelope.completed", payload(envelope, documents=final))
    topic = LIFECYCLE_TOPICS.get(envelope.kind)
    if topic:
        publish(topic, payload(envelope, date=timezone.localdate().isoformat()))
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


def store_signed(doc: EnvelopeDocument, party: Party, signed: signing.SignedDocument) -> None:
    digest = providers.store_document(signed.pdf)
    EnvelopeDocument.objects.filter(pk=doc.pk).update(current_sha256=digest, size=len(signed.pdf))
    PartySignature.objects.create(party=party, document=doc, signature=signed.signature)


def mark_signed(envelope: Envelope, party: Party, user) -> None:
    party.signed_at = timezone.now()
    party.signed_by = user
    party_moves(envelope, party, Party.Status.SIGNED, ["signed_at", "signed_by"], "signed")
    advance(envelope)
