"""The enterprise seals: through its seal (accord.seals: who may use it, approvals, usage log) with
a fresh second factor (Electronic Signature Law Art. 13: sole control); 批量盖章 seals many
envelopes with one code checked once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from accord.core.errors import AccordError
from accord.envelopes import policy
from accord.envelopes.models import Envelope, Party
from accord.envelopes.services.base import enterprise_party, locked
from accord.envelopes.services.notices import clear_seal_requests
from accord.envelopes.services.sending import mark_signed, store_signed
from accord.identity.auth import check_totp
from accord.seals import services as seals
from accord.signing import providers
from accord.signing import services as signing


def may_seal(user, party: Party) -> bool:
    return policy.may_seal(user, party)


def needs_seal_approval(envelope: Envelope) -> bool:
    return seals.needs_approval(envelope.enterprise, envelope.kind)


def seal(
    envelope: Envelope, *, user, otp_token: str, seal_id=None, second_factor_checked: bool = False
) -> Envelope:
    """The enterprise party seals every document of the envelope; one TOTP code confirms the
    whole act (``second_factor_checked`` when the caller — ``seal_many`` — already checked it)."""
    seals.require_person_for_sealing(user)
    envelope = Envelope.objects.select_related("enterprise").get(pk=envelope.pk)
    party = enterprise_party(envelope)
    policy.can_seal(user, envelope, party).enforce()
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
        envelope = locked(envelope)
        party = Party.objects.select_for_update().get(pk=party.pk)
        policy.open_for_signing(envelope, "seal").enforce()
        policy.turn_of(party).enforce()
        for doc, signed in results:
            store_signed(doc, party, signed)
        mark_signed(envelope, party, user)
        clear_seal_requests(envelope)
    return envelope


@dataclass
class SealManyResult:
    sealed: list[str]
    refused: dict[str, str]  # envelope number -> error code


def seal_many(envelopes: Iterable[Envelope], *, user, otp_token: str) -> SealManyResult:
    """批量盖章: seal many envelopes with one TOTP code, checked once before the first.

    Each envelope is sealed in its own transaction; one that cannot be sealed (not its turn,
    needs an approval) is reported by number and code, and the others go on."""
    seals.require_person_for_sealing(user)
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


def request_seal_approval(envelope: Envelope, *, user, seal_id=None) -> list:
    """Ask a seal manager to approve sealing these exact documents (sensitive kinds, e.g. a
    termination notice); the approval is bound to each document's SHA-256."""
    envelope = Envelope.objects.select_related("enterprise").get(pk=envelope.pk)
    party = enterprise_party(envelope)
    policy.can_request_seal_approval(user, envelope, party).enforce()
    approvals = []
    for doc in envelope.documents.all():
        seal_obj = seals.seal_for_document(
            envelope.enterprise, doc.kind, seal_id or party.seal_id_hint
        )
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
    seal_obj = seals.seal_for_document(envelope.enterprise, document_kind, seal_id)
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
