"""Verification of signed PDFs: every signature, what it proves, and why not when it does not.

Trust comes from our root only (``pdf.validation_context``); revocation comes from our CAs'
current CRLs, made on the spot from the database, so ``accord verify`` works offline. A
signature is *valid* when its cryptography is intact, its chain ends at our root, no
certificate in it is revoked, and the document was not changed after it except in ways the
signature allows (more signatures, form filling, validation data, timestamps).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)

from accord.signing.models import Certificate
from accord.signing.pdf import open_pdf, sha256, validation_context

_REVOKED_INDICATIONS = {"REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"}

# What can be wrong with one signature, as stable keys (signing/verdict.py words them for
# people, in Chinese and English; ``reasons`` keeps the English for ``accord verify``).
CHANGED = "changed"  # the signed bytes differ from what was signed
CHANGED_DISALLOWED = "changed_disallowed"  # a later revision made a change the signature forbids
NOT_COVERED = "not_covered"  # the signature covers only part of the file
BROKEN = "broken"  # the cryptographic signature does not verify
UNTRUSTED = "untrusted"  # the certificate does not chain to our root
REVOKED = "revoked"
TIMESTAMP_INVALID = "timestamp_invalid"
UNREADABLE = "unreadable"  # the signature cannot be validated at all
TAMPERING = {CHANGED, CHANGED_DISALLOWED, NOT_COVERED}


@dataclass
class SignatureReport:
    field_name: str
    kind: str  # "signature" or "document_timestamp"
    signer: str
    signer_serial: str
    signed_at: datetime | None
    timestamp: datetime | None
    intact: bool
    cryptographically_valid: bool
    trusted: bool  # chain to the platform root
    revoked: bool
    coverage: str  # entire_file | entire_revision | partial
    modification: str  # what changed after this signature
    docmdp_ok: bool | None
    certification: bool
    level: str
    valid: bool
    reasons: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # the keys above, most important first
    # SHA-256 of the file as it was when this signature was made (the bytes up to the end of its
    # byte range): the platform's signing record of that version has it as its output hash.
    revision_sha256: str = ""
    # Trust is judged only on intact bytes: for changed bytes the chain was never checked.
    trust_checked: bool = True


@dataclass
class VerificationReport:
    sha256: str
    signatures: list[SignatureReport]
    problems: list[str] = field(default_factory=list)
    damaged: bool = False
    # Signature fields laid out for a signer who has not signed yet (reserved at sealing).
    empty_fields: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Every signature valid, at least one, and nothing wrong with the file itself."""
        return bool(self.signatures) and not self.problems and all(s.valid for s in self.signatures)

    def as_dict(self) -> dict[str, Any]:
        def plain(value):
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        return plain(
            {
                "sha256": self.sha256,
                "valid": self.valid,
                "problems": self.problems,
                "signatures": [asdict(s) for s in self.signatures],
            }
        )


def _coverage(level: SignatureCoverageLevel | None) -> str:
    if level == SignatureCoverageLevel.ENTIRE_FILE:
        return "entire_file"
    if level == SignatureCoverageLevel.ENTIRE_REVISION:
        return "entire_revision"
    return "partial"


def _level(sig, status) -> str:
    if sig.sig_object_type == "/DocTimeStamp":
        return "B-LTA"
    if getattr(status, "timestamp_validity", None) is None:
        return "B-B"
    return "B-T"


def _subject(cert) -> str:
    try:
        return cert.subject.human_friendly
    except Exception:
        return str(cert.subject.native)


def verify_pdf(data: bytes) -> VerificationReport:
    """Validate every signature and document timestamp in ``data``."""
    open_pdf(data, allow_scripts=True)
    report = VerificationReport(sha256=sha256(data), signatures=[])
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        # A damaged file (e.g. a changed byte in a stream marker) is a verdict, not a crash.
        report.problems.append(f"the file is damaged and cannot be read: {exc}")
        report.damaged = True
        return report
    if not sigs:
        report.problems.append("no signatures: the document is not signed")
        return report
    try:
        report.empty_fields = [
            name for name, value, _ref in fields.enumerate_sig_fields(reader) if value is None
        ]
    except (PdfError, ValueError, KeyError, TypeError):
        report.empty_fields = []
    vc = validation_context()
    has_dss = "/DSS" in reader.root
    for sig in sigs:
        reasons: list[str] = []
        findings: list[str] = []
        is_ts = sig.sig_object_type == "/DocTimeStamp"
        revision = _revision_sha256(data, sig)
        status: PdfSignatureStatus | DocumentTimestampStatus
        try:
            if is_ts:
                status = validate_pdf_timestamp(sig, validation_context=vc)
            else:
                status = validate_pdf_signature(
                    sig, signer_validation_context=vc, ts_validation_context=vc
                )
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
            report.signatures.append(
                SignatureReport(
                    field_name=sig.field_name,
                    kind="document_timestamp" if is_ts else "signature",
                    signer="",
                    signer_serial="",
                    signed_at=None,
                    timestamp=None,
                    intact=False,
                    cryptographically_valid=False,
                    trusted=False,
                    revoked=False,
                    coverage="partial",
                    modification="unknown",
                    docmdp_ok=None,
                    certification=False,
                    level="",
                    valid=False,
                    reasons=[f"the signature cannot be validated: {exc}"],
                    findings=[UNREADABLE],
                    revision_sha256=revision,
                    trust_checked=False,
                )
            )
            continue
        indication = (
            getattr(status.trust_problem_indic, "name", "") if status.trust_problem_indic else ""
        )
        revoked = indication in _REVOKED_INDICATIONS or bool(
            Certificate.objects.filter(
                serial=f"{status.signing_cert.serial_number:x}", revoked_at__isnull=False
            ).exists()
        )
        modification = getattr(status.modification_level, "name", "unknown").lower()
        if not status.intact:
            # Changed bytes are the whole story: pyHanko does not judge the chain of a
            # signature over bytes that no longer match, so "untrusted" would be a wrong reason.
            reasons.append("the signed bytes were changed after signing (integrity check failed)")
            findings.append(CHANGED)
        else:
            if status.docmdp_ok is False:
                reasons.append(
                    "the document was changed after signing in a way it does not allow "
                    f"({modification})"
                )
                findings.append(CHANGED_DISALLOWED)
            if status.coverage not in (
                SignatureCoverageLevel.ENTIRE_FILE,
                SignatureCoverageLevel.ENTIRE_REVISION,
            ):
                reasons.append("the signature does not cover the whole document")
                findings.append(NOT_COVERED)
            if not status.valid:
                reasons.append("the cryptographic signature does not verify")
                findings.append(BROKEN)
            if not status.trusted:
                reasons.append(
                    "the certificate does not chain to the Accord platform root "
                    f"({indication or 'untrusted'})"
                )
                findings.append(UNTRUSTED)
            if revoked:
                reasons.append("a certificate in the chain is revoked")
                findings.append(REVOKED)
        timestamp = None
        if isinstance(status, DocumentTimestampStatus):
            timestamp = status.timestamp
        elif status.timestamp_validity is not None:
            timestamp = status.timestamp_validity.timestamp
            ts = status.timestamp_validity
            if status.intact and not (ts.intact and ts.valid and ts.trusted):
                reasons.append("the signature timestamp is not valid or not from a trusted TSA")
                findings.append(TIMESTAMP_INVALID)
        level = _level(sig, status)
        if level == "B-T" and has_dss:
            level = "B-LT"
        certification = bool(getattr(sig, "docmdp_level", None)) and not is_ts
        report.signatures.append(
            SignatureReport(
                field_name=sig.field_name,
                kind="document_timestamp" if is_ts else "signature",
                signer=_subject(status.signing_cert),
                signer_serial=f"{status.signing_cert.serial_number:x}",
                signed_at=timestamp or getattr(status, "signer_reported_dt", None),
                timestamp=timestamp,
                intact=bool(status.intact),
                cryptographically_valid=bool(status.valid),
                trusted=bool(status.trusted),
                revoked=revoked,
                coverage=_coverage(status.coverage),
                modification=modification,
                docmdp_ok=status.docmdp_ok,
                certification=certification,
                level=level,
                valid=not reasons,
                reasons=reasons,
                findings=findings,
                revision_sha256=revision,
                trust_checked=bool(status.intact),
            )
        )
    return report


def _revision_sha256(data: bytes, sig) -> str:
    """The hash of the file version this signature signed (up to the end of its byte range)."""
    try:
        byte_range = [int(v) for v in sig.byte_range]
    except (KeyError, TypeError, ValueError):
        return ""
    if len(byte_range) != 4:
        return ""
    return sha256(data[: byte_range[2] + byte_range[3]])
