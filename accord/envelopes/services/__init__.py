"""Envelopes: create, send, sign in order, reject, withdraw, void, expire, remind, complete.

One module per job — ``drafting`` (parties of the enterprise, documents, the lifecycle fit, one
labour contract per worker and start, the idempotency key), ``sending`` (order and completion),
``sealing``, ``personal`` (a person reads, consents, draws and signs), ``ending``, ``timers``,
``notices`` and ``documents`` (downloads and the evidence report, audited). Who may do what in
which state is ``accord.envelopes.policy``; the error codes are ``accord.envelopes.errors``.

The rules (issue #6, LAW.md):

- Signing order: parties sign by ``order``; parties sharing an order sign in any order. A later
  signer is neither notified nor shown the document before every earlier one has signed.
- The enterprise seals through its seal (accord.seals: who may use it, approvals, usage log)
  with a fresh second factor; a person signs with an event certificate after a code bound to
  the exact document (accord.signing, Electronic Signature Law Art. 13).
- A labour contract is concluded in writing (LCL Art. 10); the electronic form needs both
  sides' agreement (MOHRSS 2021 No. 54 guideline), so the worker's consent is recorded after
  they read every page and before they sign, with its time and wording.
- Every state change is in the audit log; every signature, and so the final document, is in
  the evidence ledger; parties are told of completion; the worker's copy is theirs (Art. 16).
- Retention: kept at least two years after the relationship ends (LCL Art. 50).

Callers use the names re-exported here: ``from accord.envelopes import services``.
"""

from __future__ import annotations

from accord.envelopes.errors import MOHRSS_54
from accord.envelopes.policy import is_sender, may_see_document, party_of
from accord.envelopes.services.base import (
    ART_10,
    ART_16,
    ART_50,
    CONSENT_TEXT,
    DEFAULT_DEADLINE_DAYS,
    LIFECYCLE_TOPICS,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
    MAX_REMINDERS,
    REMINDER_INTERVAL,
    RETENTION_YEARS,
    enterprise_party,
    new_number,
)
from accord.envelopes.services.documents import (
    Download,
    ReadingText,
    document_download,
    evidence_report,
    reading_texts,
    waiting_for,
)
from accord.envelopes.services.drafting import (
    DocumentInput,
    PartyInput,
    PartySpec,
    create_envelope,
    default_parties,
    employment_for,
    enterprise_employment,
    enterprise_hr_users,
    enterprise_people,
    enterprise_person,
    existing_labour_contract,
    find_by_idempotency_key,
    require_draftable,
    require_one_contract,
    resolve_parties,
)
from accord.envelopes.services.ending import reject, void, withdraw
from accord.envelopes.services.notices import notify_completion, notify_party, party_for_link
from accord.envelopes.services.personal import (
    MAX_SIGNATURE_IMAGE,
    PNG_MAGIC,
    decode_png,
    next_unsigned_document,
    personal_party,
    record_consent,
    record_view,
    request_code,
    save_signature_image,
    save_typed_signature,
    sign_personal,
    total_pages,
    verify_signer,
)
from accord.envelopes.services.sealing import (
    SealManyResult,
    may_seal,
    needs_seal_approval,
    request_seal_approval,
    seal,
    seal_many,
)
from accord.envelopes.services.sending import send_envelope, set_retention
from accord.envelopes.services.timers import (
    archive_completed,
    archive_documents,
    expire_due,
    remind_due,
    renew_archives_due,
)

__all__ = [
    "ART_10",
    "ART_16",
    "ART_50",
    "CONSENT_TEXT",
    "DEFAULT_DEADLINE_DAYS",
    "LIFECYCLE_TOPICS",
    "MAX_DOCUMENTS",
    "MAX_DOCUMENT_BYTES",
    "MAX_REMINDERS",
    "MAX_SIGNATURE_IMAGE",
    "MOHRSS_54",
    "PNG_MAGIC",
    "REMINDER_INTERVAL",
    "RETENTION_YEARS",
    "DocumentInput",
    "Download",
    "PartyInput",
    "PartySpec",
    "ReadingText",
    "SealManyResult",
    "archive_completed",
    "archive_documents",
    "create_envelope",
    "decode_png",
    "default_parties",
    "document_download",
    "employment_for",
    "enterprise_employment",
    "enterprise_hr_users",
    "enterprise_party",
    "enterprise_people",
    "enterprise_person",
    "evidence_report",
    "existing_labour_contract",
    "expire_due",
    "find_by_idempotency_key",
    "is_sender",
    "may_seal",
    "may_see_document",
    "needs_seal_approval",
    "new_number",
    "next_unsigned_document",
    "notify_completion",
    "notify_party",
    "party_for_link",
    "party_of",
    "personal_party",
    "reading_texts",
    "record_consent",
    "record_view",
    "reject",
    "remind_due",
    "renew_archives_due",
    "request_code",
    "request_seal_approval",
    "require_draftable",
    "require_one_contract",
    "resolve_parties",
    "save_signature_image",
    "save_typed_signature",
    "seal",
    "seal_many",
    "send_envelope",
    "set_retention",
    "sign_personal",
    "total_pages",
    "verify_signer",
    "void",
    "waiting_for",
    "withdraw",
]
