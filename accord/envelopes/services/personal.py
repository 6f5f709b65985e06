"""A person signs (worker, legal representative): read every page, consent to the electronic form,
draw (or type) a signature, receive a code bound to the exact document, sign.

- A labour contract is concluded in writing (LCL Art. 10); the electronic form needs both sides'
  agreement (人社厅发〔2021〕54号), so the worker's consent is recorded — with its time and
  wording — only after they have read every page of every document.
- A person signs with an event certificate after a code bound to the exact document
  (accord.signing, Electronic Signature Law Art. 13).
Every step is server state, so a signing interrupted by a dropped connection resumes where it
stopped; pages and API call these same functions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from django.db import transaction
from django.utils import timezone

from accord.core import audit
from accord.envelopes import errors, pages, policy
from accord.envelopes.models import Envelope, EnvelopeDocument, Party, PartySignature
from accord.envelopes.services.base import CONSENT_TEXT, locked
from accord.envelopes.services.sending import mark_signed, store_signed
from accord.identity import services as identity_services
from accord.signing import providers
from accord.signing import services as signing

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_IMAGE = 300 * 1024


def verify_signer(party: Party) -> Party:
    """A person signs only once their real name is verified against the resident registry
    (Electronic Signature Law Art. 13); the first time, from the signing page."""
    if party.person.verification_level in policy.VERIFIED_LEVELS:
        return party
    record = identity_services.verify_person(party.person)
    if record.result != "verified":
        raise errors.SIGNER_VERIFICATION_FAILED()
    return party


def personal_party(envelope: Envelope, user) -> Party:
    party = policy.party_of(user, envelope)
    if party is None:
        raise errors.NOT_A_PARTY()
    return party


def total_pages(envelope: Envelope) -> int:
    """The pages of every document, in reading order (a document of unknown length counts one)."""
    return len(pages.page_refs(list(envelope.documents.all())))


@transaction.atomic
def record_view(party: Party, pages_read: int = 0) -> Party:
    """The person has seen pages 1..``pages_read`` (counted across the documents)."""
    party = Party.objects.select_for_update().select_related("envelope").get(pk=party.pk)
    policy.can_view_signing_page(party).enforce()  # nothing is shown before one's turn
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
    seen = max(0, min(int(pages_read or 0), total_pages(party.envelope)))
    if seen > party.read_pages:
        party.read_pages = seen
        fields.append("read_pages")
    party.save(update_fields=fields)
    return party


@transaction.atomic
def record_consent(
    party: Party, *, agree: bool = True, pages_seen: int | None = None, read_all: bool = False
) -> Party:
    """The person agrees to the electronic form (人社厅发〔2021〕54号), after reading every page.

    ``pages_seen``: the reader's last count of pages seen (its last report may still be on its
    way); ``read_all``: without a script nobody counts pages, so the person declares having read
    every one (the page's checkbox). Recorded once, with the wording agreed to."""
    party = Party.objects.select_for_update().select_related("envelope").get(pk=party.pk)
    total = total_pages(party.envelope)
    policy.can_act_as_party(party).enforce()
    if pages_seen is not None and party.read_pages < pages_seen:
        party = record_view(party, pages_seen)
    if read_all and party.read_pages < total:
        party = record_view(party, total)
    policy.can_consent(party, total_pages=total).enforce()
    if not agree:
        raise errors.CONSENT_UNCHECKED()
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


def decode_png(value: str, field: str = "signature_image") -> bytes:
    """A PNG sent as base64 (a data URL from the canvas, or bare)."""
    try:
        return base64.b64decode((value or "").split(",")[-1], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.SIGNATURE_IMAGE_INVALID(field) from exc


@transaction.atomic
def save_signature_image(party: Party, png: bytes, *, field: str = "signature_image") -> Party:
    """Keep the drawn signature so an interrupted signing resumes with it."""
    if not png.startswith(PNG_MAGIC) or len(png) > MAX_SIGNATURE_IMAGE:
        raise errors.SIGNATURE_IMAGE_INVALID(field)
    party = Party.objects.select_for_update().select_related("envelope").get(pk=party.pk)
    policy.can_act_as_party(party).enforce()
    party.signature_image = png
    party.save(update_fields=["signature_image", "updated_at"])
    audit.record(
        "envelopes.party.signature_image",
        party,
        enterprise_id=party.envelope.enterprise_id,
        changes={"signature_image_sha256": [None, hashlib.sha256(png).hexdigest()]},
    )
    return party


def save_typed_signature(party: Party, typed_name: str) -> Party:
    """Without drawing: the person's own registered name, typed and set in a CJK font."""
    typed = (typed_name or "").strip()
    if typed.replace(" ", "") != party.person.name.replace(" ", ""):
        raise errors.TYPED_NAME_MISMATCH()
    return save_signature_image(party, pages.typed_signature_png(party.person.name))


def next_unsigned_document(party: Party) -> EnvelopeDocument:
    done = set(PartySignature.objects.filter(party=party).values_list("document_id", flat=True))
    for doc in party.envelope.documents.all():
        if doc.pk not in done:
            return doc
    raise errors.PARTY_ALREADY_SIGNED()


def _signable(party: Party) -> EnvelopeDocument:
    policy.can_sign(party).enforce()
    return next_unsigned_document(party)


def request_code(party: Party) -> Party:
    """Text the person a code bound to the exact document they are about to sign."""
    party = Party.objects.select_related("envelope", "person", "intent").get(pk=party.pk)
    doc = _signable(party)
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
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise errors.CODE_FORMAT()
    party = Party.objects.select_related("envelope__enterprise", "person", "intent").get(
        pk=party.pk
    )
    doc = _signable(party)
    if party.intent is None or party.intent.document_sha256 != doc.current_sha256:
        raise errors.CODE_NOT_REQUESTED()
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
        envelope = locked(party.envelope)
        current = Party.objects.select_for_update().get(pk=party.pk)
        policy.turn_of(current).enforce()
        store_signed(doc, current, signed)
        remaining = envelope.documents.exclude(
            pk__in=PartySignature.objects.filter(party=current).values("document_id")
        ).exists()
        if remaining:
            Party.objects.filter(pk=current.pk).update(intent=None)
        else:
            mark_signed(envelope, current, user)
    return envelope
