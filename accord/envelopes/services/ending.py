"""Ending an envelope without completion: rejected by a party, withdrawn before any signature,
voided (with a reason everybody sees) after one; the deadline passing is in ``timers``.

A completed document is binding and is never voided unilaterally: it is ended by a further
document (a change agreement, a termination notice). Which of these applies when is
``policy``'s; every ending is audited and published."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accord.core import audit
from accord.core.events import publish
from accord.envelopes import errors, policy
from accord.envelopes.models import Envelope, Party
from accord.envelopes.services.base import locked, payload


@transaction.atomic
def reject(party: Party, *, reason: str, user=None) -> Envelope:
    reason = (reason or "").strip()
    if not reason:
        raise errors.REASON_REQUIRED(what_zh="拒签", what_en="rejecting")
    envelope = locked(party.envelope)
    party = Party.objects.select_for_update().select_related("envelope").get(pk=party.pk)
    party.envelope = envelope
    policy.can_act_as_party(party).enforce()
    party.status = Party.Status.REJECTED
    party.reject_reason = reason[:500]
    party.save(update_fields=["status", "reject_reason", "updated_at"])
    audit.record(
        "envelopes.party.reject",
        party,
        enterprise_id=envelope.enterprise_id,
        changes={"status": ["ready", "rejected"], "reason": [None, reason[:500]]},
    )
    return end(envelope, Envelope.Status.REJECTED, reason, "envelope.rejected")


@transaction.atomic
def withdraw(envelope: Envelope, *, user, reason: str = "") -> Envelope:
    """The sender takes back an envelope nobody has signed yet."""
    envelope = locked(envelope)
    policy.can_withdraw(user, envelope).enforce()
    return end(envelope, Envelope.Status.WITHDRAWN, reason, "envelope.withdrawn")


@transaction.atomic
def void(envelope: Envelope, *, user, reason: str) -> Envelope:
    """Cancel an envelope in progress after some signatures, with a reason everybody sees."""
    envelope = locked(envelope)
    if not policy.is_sender(user, envelope):
        raise errors.NOT_A_PARTY()
    reason = (reason or "").strip()
    if not reason:
        raise errors.REASON_REQUIRED(what_zh="作废", what_en="voiding")
    policy.can_void(user, envelope).enforce()
    return end(envelope, Envelope.Status.VOIDED, reason, "envelope.voided")


def end(envelope: Envelope, status: str, reason: str, topic: str) -> Envelope:
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
    publish(topic, payload(envelope, reason=envelope.end_reason))
    return envelope
