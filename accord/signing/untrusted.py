"""A PDF from anyone (the public /verify upload): limited, rate-limited, and parsed first in a
sandboxed child with a deadline, so that no crafted file can hold a web worker (issue #13).

``read_upload`` refuses a file over the size limit before reading it (it streamed to disk
under ``core.inputs``' limit); ``check_untrusted_pdf`` runs the same parsing the verification
will do — the page tree, the signature fields, each signature's integrity, its revisions and
the changes after it — in a child with ``ACCORD_UNTRUSTED_PDF_SECONDS`` and
``ACCORD_UNTRUSTED_PDF_MEMORY_MB``, and trusting nothing (no roots, no fetching): only a file
that parses within that budget is then verified for real.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext

from accord.core import ratelimit, sandbox
from accord.signing.errors import (
    PDF_EMPTY,
    PDF_MALFORMED,
    PDF_TOO_LARGE,
    PDF_TOO_MANY_SIGNATURES,
    VERIFY_RATE_LIMITED,
)
from accord.signing.pdf import max_pdf_bytes, open_pdf

MAX_SIGNATURES = 64


def uploads_per_minute() -> int:
    return getattr(settings, "ACCORD_VERIFY_UPLOADS_PER_MINUTE", 10)


def count_upload(ip: str | None) -> None:
    """Each upload from one address counts, found valid or not."""
    ratelimit.hit(
        f"verify-upload:{ip or 'unknown'}", uploads_per_minute(), 60, code=VERIFY_RATE_LIMITED
    )


def read_upload(upload: UploadedFile) -> bytes:
    limit = max_pdf_bytes()
    if upload.size is not None and upload.size > limit:
        raise PDF_TOO_LARGE(limit=limit // (1024 * 1024))
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PDF_TOO_LARGE(limit=limit // (1024 * 1024))
    if not data:
        raise PDF_EMPTY()
    return data


def _parse_everything(data: bytes) -> int:
    """In the child: what ``verify.verify_pdf`` will parse, with nothing trusted."""
    reader = open_pdf(data, allow_scripts=True)
    try:
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError):
        return 0  # the verification reports the damage itself
    if len(signatures) > MAX_SIGNATURES:
        raise PDF_TOO_MANY_SIGNATURES(most=MAX_SIGNATURES)
    nobody = ValidationContext(trust_roots=[], allow_fetching=False)
    for signature in signatures:
        try:
            if signature.sig_object_type == "/DocTimeStamp":
                validate_pdf_timestamp(signature, validation_context=nobody)
            else:
                validate_pdf_signature(
                    signature, signer_validation_context=nobody, ts_validation_context=nobody
                )
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError):
            continue  # a verdict about this signature, not about the budget
    return len(signatures)


def check_untrusted_pdf(data: bytes) -> None:
    """Raise ``core.file_too_complex`` (or the PDF's own error) unless ``data`` parses in time."""
    try:
        sandbox.run_bounded(
            _parse_everything,
            data,
            seconds=getattr(settings, "ACCORD_UNTRUSTED_PDF_SECONDS", 5.0),
            memory_bytes=getattr(settings, "ACCORD_UNTRUSTED_PDF_MEMORY_MB", 512) * 1024 * 1024,
        )
    except sandbox.SandboxFailed as exc:
        raise PDF_MALFORMED() from exc
