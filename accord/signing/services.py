"""Who may sign what, and how: the small safe API of the signing app.

Electronic Signature Law Art. 13 asks four things of a reliable signature; here is where each
is kept (docs/signing.md has the whole trust model):

1. creation data exclusively the signer's — a person signs with an *event certificate* issued
   for that one signing, naming them; an enterprise with its own seal certificate;
2. under the signer's sole control when signing — the event key is created only after the
   person has proved who they are (verified identity) and confirmed *this exact document*
   (a fresh SMS code bound to its SHA-256), is used once and destroyed; an enterprise seal
   is used only by an authorised HR user with a fresh second factor (TOTP);
3. and 4. later changes detectable — PAdES signatures with timestamps from our TSA.

Every signing stores its intent record (who, document hash, time, IP, user agent, how they
authenticated), an audit entry, and an evidence-ledger entry, in one transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.core import audit, ratelimit
from accord.core.context import current_actor
from accord.core.errors import AccordError
from accord.core.notifications import send_sms
from accord.identity.auth import check_totp
from accord.ledger import services as ledger
from accord.signing import appearance, pki
from accord.signing.errors import (
    ART_13,
    CODE_EXPIRED,
    CODE_INVALID,
    CODE_LOCKED,
    CODE_RATE_LIMITED,
    DOCUMENT_MISMATCH,
    IDENTITY_NOT_VERIFIED,
    INTENT_USED,
    MOHRSS_54,
    PHONE_MISSING,
    SEAL_NOT_AUTHORISED,
)
from accord.signing.models import Certificate, Signature, SigningIntent
from accord.signing.pdf import Appearance, SignedPdf, open_pdf, sha256, sign
from accord.signing.tsa import LocalTimeStamper

# Sources of the rules enforced here (LAW.md).

VERIFIED_LEVELS = {"registry", "in_person"}


@dataclass(frozen=True)
class SignedDocument:
    pdf: bytes
    signature: Signature


def _code_ttl() -> int:
    return getattr(settings, "ACCORD_SIGNING_CODE_TTL_SECONDS", settings.ACCORD_OTP_TTL_SECONDS)


def _code_hash(intent: SigningIntent, document_sha256: str, code: str) -> str:
    # The document hash is inside the MAC: a code is worth nothing for any other document.
    message = f"signing-intent:{intent.public_id}:{document_sha256}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _intent_context() -> dict[str, Any]:
    actor = current_actor()
    return {"ip": actor.ip, "user_agent": actor.user_agent[:400]}


def _require_verified(person) -> None:
    if person.verification_level not in VERIFIED_LEVELS:
        raise IDENTITY_NOT_VERIFIED(extra={"article": MOHRSS_54})


# ---- persons: intent + SMS code bound to the document ---------------------------------------


@transaction.atomic
def request_signing_code(
    person, document: bytes, *, document_name: str = "", auth_method: str = "session"
) -> SigningIntent:
    """Start a personal signing: record the intent and text a code bound to the document's hash."""
    intent = create_person_intent(
        person, document, document_name=document_name, auth_method=auth_method
    )
    send_signing_code(intent)
    intent.refresh_from_db()
    return intent


@transaction.atomic
def create_person_intent(
    person, document: bytes, *, document_name: str = "", auth_method: str = "session"
) -> SigningIntent:
    """The intent record of a personal signing, before any code is sent."""
    open_pdf(document)
    _require_verified(person)
    if not person.phone:
        raise PHONE_MISSING("phone")
    digest = sha256(document)
    intent = SigningIntent.objects.create(
        kind=SigningIntent.Kind.PERSON,
        person=person,
        document_sha256=digest,
        document_name=document_name[:200],
        auth_method=f"{auth_method}+sms",
        expires_at=timezone.now() + timedelta(seconds=_code_ttl()),
        **_intent_context(),
    )
    audit.record("signing.intent.create", intent, changes={"document_sha256": [None, digest]})
    return intent


@transaction.atomic
def send_signing_code(intent: SigningIntent) -> None:
    """Text a fresh code for the intent's document; an earlier code stops working."""
    intent = (
        SigningIntent.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=intent.pk)
    )
    person = intent.person
    if (
        intent.kind != SigningIntent.Kind.PERSON
        or person is None
        or intent.status not in (SigningIntent.Status.PENDING,)
    ):
        raise INTENT_USED()
    # An envelope holds up to 10 documents, each confirmed with its own code.
    ratelimit.hit(f"signing-code:{person.pk}", limit=10, window=600, code=CODE_RATE_LIMITED)
    code = f"{secrets.randbelow(10**6):06d}"
    intent.code_hash = _code_hash(intent, intent.document_sha256, code)
    intent.expires_at = timezone.now() + timedelta(seconds=_code_ttl())
    intent.attempts = 0
    intent.save(update_fields=["code_hash", "expires_at", "attempts", "updated_at"])
    minutes = max(_code_ttl() // 60, 1)
    digest = intent.document_sha256
    title = f"《{intent.document_name[:40]}》" if intent.document_name else "文件"
    send_sms(
        person.phone,
        f"【福易签】您正在签署{title}（文件指纹 {digest[:8]}），验证码 {code}，{minutes} 分钟内有效。"
        f"验证码仅用于本文件，请勿告诉他人。Signing code {code} for document {digest[:8]}.",
        sensitive=True,
    )
    audit.record("signing.intent.code_sent", intent)


def _confirm_code(intent: SigningIntent, code: str, document_sha256: str) -> None:
    """Check the code in its own transaction, so a wrong guess counts even if signing fails."""
    error: AccordError | None = None
    with transaction.atomic():
        locked = SigningIntent.objects.select_for_update().get(pk=intent.pk)
        now = timezone.now()
        if locked.kind != SigningIntent.Kind.PERSON or locked.status not in (
            SigningIntent.Status.PENDING,
            SigningIntent.Status.CONFIRMED,
        ):
            error = INTENT_USED("code")
        elif locked.expires_at <= now:
            locked.status = SigningIntent.Status.FAILED
            locked.save(update_fields=["status", "updated_at"])
            error = CODE_EXPIRED("code")
        elif locked.document_sha256 != document_sha256:
            error = DOCUMENT_MISMATCH(extra={"article": ART_13})
        elif locked.attempts >= settings.ACCORD_OTP_MAX_ATTEMPTS:
            error = CODE_LOCKED("code")
        elif not hmac.compare_digest(
            locked.code_hash, _code_hash(locked, document_sha256, (code or "").strip())
        ):
            locked.attempts += 1
            if locked.attempts >= settings.ACCORD_OTP_MAX_ATTEMPTS:
                locked.status = SigningIntent.Status.FAILED
            locked.save(update_fields=["attempts", "status", "updated_at"])
            error = CODE_INVALID("code")
        else:
            locked.status = SigningIntent.Status.CONFIRMED
            locked.confirmed_at = now
            locked.save(update_fields=["status", "confirmed_at", "updated_at"])
        if error is not None:
            audit.record("signing.intent.refused", locked, changes={"reason": [None, error.code]})
    if error is not None:
        raise error


def sign_as_person(
    document: bytes,
    *,
    intent: SigningIntent,
    code: str,
    level: str = "B-T",
    signature_image: bytes | None = None,
    reason: str = "",
    document_kind: str = "document",
) -> SignedDocument:
    """Sign as the intent's person: check the code, issue an event certificate, sign, destroy the key.

    The event key exists only in this process's memory, for this one signature; it is never
    stored. The cryptography runs outside any database write transaction (SQLite has one
    writer at a time); the results are recorded together in one short transaction.
    """
    open_pdf(document)
    digest = sha256(document)
    _confirm_code(intent, code, digest)
    intent = SigningIntent.objects.select_related("person").get(pk=intent.pk)
    person = intent.person
    assert person is not None  # a personal intent always names its person
    _require_verified(person)
    look = Appearance(appearance.person_pdf(person.name, signature_image))
    with transaction.atomic():
        cert, key = pki.issue_event_certificate(person)
    timestamper = None if level == "B-B" else LocalTimeStamper()
    try:
        signed = sign(
            document,
            cert=cert,
            key=key,
            level=level,
            appearance=look,
            reason=reason or "本人签署 / signed by the person",
            timestamper=timestamper,
        )
    except BaseException:
        pki.destroy_key(cert)
        pki.revoke(cert, Certificate.Reason.CESSATION)  # never used: nobody may rely on it
        raise
    finally:
        del key  # sole control: the key is gone whatever happened
    try:
        with transaction.atomic():
            locked = SigningIntent.objects.select_for_update().get(pk=intent.pk)
            if locked.status != SigningIntent.Status.CONFIRMED:
                raise INTENT_USED()
            pki.destroy_key(cert)
            locked.status = SigningIntent.Status.USED
            locked.used_at = timezone.now()
            locked.save(update_fields=["status", "used_at", "updated_at"])
            return SignedDocument(
                signed.pdf, _record(signed, digest, cert, level, locked, document_kind, timestamper)
            )
    except BaseException:
        pki.destroy_key(cert)
        pki.revoke(cert, Certificate.Reason.CESSATION)
        raise


# ---- enterprises: seal used by an authorised HR user with a fresh second factor ---------------


def seal_as_enterprise(
    document: bytes,
    *,
    user,
    enterprise,
    otp_token: str,
    level: str = "B-T",
    certify: bool = False,
    lock_form: bool = False,
    reason: str = "",
    reserve_person_fields: int = 0,
    document_kind: str = "document",
    seal_name: str = "电子印章",
    second_factor_checked: bool = False,
) -> SignedDocument:
    """Seal with the enterprise's seal certificate; the HR user proves a fresh TOTP code.

    ``certify`` makes it a certification signature (only form filling and signing allowed
    afterwards); ``reserve_person_fields`` adds empty signature fields for the workers who
    sign after it (under a certification they may fill fields, not add them).
    ``second_factor_checked``: the caller checked one fresh TOTP code for a whole sealing act
    of several documents (envelopes.seal_many) in this same request; the intent records it.
    """
    open_pdf(document)
    if enterprise.pk not in user.enterprise_ids:
        raise SEAL_NOT_AUTHORISED("enterprise")
    if not second_factor_checked:
        check_totp(user, otp_token)  # raises auth.totp_invalid; a used code is not accepted twice
    digest = sha256(document)
    cert = pki.enterprise_seal(enterprise)
    look = Appearance(appearance.seal_pdf(enterprise.name, seal_name or "电子印章"))
    timestamper = None if level == "B-B" else LocalTimeStamper()
    signed = sign(
        document,
        cert=cert,
        key=pki.load_key(cert),
        level=level,
        appearance=look,
        certify=certify,
        lock_form=lock_form,
        reserve_person_fields=reserve_person_fields,
        timestamper=timestamper,
        reason=reason or "企业盖章 / sealed by the enterprise",
    )
    now = timezone.now()
    with transaction.atomic():
        intent = SigningIntent.objects.create(
            kind=SigningIntent.Kind.ENTERPRISE_SEAL,
            status=SigningIntent.Status.USED,
            enterprise=enterprise,
            user=user,
            document_sha256=digest,
            auth_method="session+totp" if not second_factor_checked else "session+totp(act)",
            expires_at=now,
            confirmed_at=now,
            used_at=now,
            **_intent_context(),
        )
        return SignedDocument(
            signed.pdf, _record(signed, digest, cert, level, intent, document_kind, timestamper)
        )


# ---- the bureau's seal (decision letters, certificates; operators and the CLI) --------------


def seal_with_bureau(
    document: bytes,
    *,
    level: str = "B-T",
    certify: bool = False,
    visible: bool = True,
    reason: str = "",
    document_kind: str = "decision",
    box: tuple[int, int, int, int] | None = None,
    page: int = -1,
) -> SignedDocument:
    """Seal with the bureau's seal certificate. Callers are trusted code paths (services, CLI).

    ``box`` (PDF points, from the page's lower left) and ``page`` (0-based; -1 the last) place
    the visible seal where the document's layout left room for it, so it covers no text."""
    digest = sha256(document)
    cert = pki.bureau_seal()
    look = (
        Appearance(appearance.seal_pdf("福田区人力资源局", "电子印章"), box=box, page=page)
        if visible
        else None
    )
    timestamper = None if level == "B-B" else LocalTimeStamper()
    signed = sign(
        document,
        cert=cert,
        key=pki.load_key(cert),
        level=level,
        appearance=look,
        certify=certify,
        timestamper=timestamper,
        reason=reason or "福田区人力资源局 电子印章",
    )
    with transaction.atomic():
        return SignedDocument(
            signed.pdf, _record(signed, digest, cert, level, None, document_kind, timestamper)
        )


# ---- archiving: a document timestamp over the signed file (PAdES B-LTA) ----------------------


def archive_timestamp(document: bytes, *, document_kind: str = "document") -> SignedDocument:
    """Add validation data and a document timestamp (B-LTA) to a signed PDF, or renew the chain
    of archive timestamps; recorded like a signature (by the TSA's certificate) and in the ledger,
    so /verify finds the archived file too. Call it again before the TSA certificate expires."""
    from accord.signing.pdf import add_document_timestamp, last_field_name

    open_pdf(document, allow_scripts=True)
    digest = sha256(document)
    archived = add_document_timestamp(document)
    cert = pki.tsa_certificate()
    signed = SignedPdf(archived, last_field_name(archived) or "archive-timestamp")
    with transaction.atomic():
        return SignedDocument(
            archived, _record(signed, digest, cert, "B-LTA", None, f"{document_kind}:archive", None)
        )


def archive_renew_after():
    """When an archive timestamp made now must be renewed: 90 days before the TSA certificate
    that made it expires."""
    return (pki.tsa_certificate().not_after - timedelta(days=90)).date()


def _record(
    signed: SignedPdf,
    input_digest: str,
    cert: Certificate,
    level: str,
    intent: SigningIntent | None,
    document_kind: str,
    timestamper: LocalTimeStamper | None,
) -> Signature:
    """Everything a signature leaves behind, in the caller's transaction."""
    if timestamper is not None:
        timestamper.record()
    signed_at = timezone.now()
    output_digest = sha256(signed.pdf)
    signature = Signature.objects.create(
        intent=intent,
        certificate=cert,
        field_name=signed.field_name,
        level=level,
        input_sha256=input_digest,
        output_sha256=output_digest,
        signed_at=signed_at,
        ledger_index=_append_to_ledger(output_digest, cert, signed_at, document_kind),
    )
    audit.record(
        "signing.signature.create",
        signature,
        enterprise_id=cert.enterprise_id,
        changes={
            "certificate": [None, cert.serial],
            "level": [None, level],
            "document_sha256": [input_digest, output_digest],
        },
    )
    return signature


def _append_to_ledger(
    document_sha256: str, cert: Certificate, signed_at, document_kind: str
) -> int | None:
    """Record the signed document in the evidence ledger (same transaction as the signature)."""
    if not getattr(settings, "ACCORD_SIGNING_LEDGER", True):
        return None
    entry = ledger.record(
        "document.signed",
        {
            "document_sha256": document_sha256,
            "signer_certificates": [hashlib.sha256(bytes(cert.der)).hexdigest()],
            "signed_at": signed_at,
            "document_kind": document_kind,
        },
    )
    return entry.index
