"""Signing providers: one interface for our own signing service and for outside vendors.

The flow of a personal signing through any provider:

1. ``prepare(document, person=…)`` — the provider receives the document; a request id comes back;
2. ``request(request_id)`` — the provider asks the signer for consent (for us: an SMS code
   bound to the document's hash; may be called again to send a new code);
3. ``callback(request_id, payload)`` — the provider's answer arrives (for us: the code the
   signer typed; for a vendor: its webhook, once its signature checks out);
4. ``status(request_id)`` / ``fetch_result(request_id)`` — where it stands; the signed PDF.

Documents and results are kept content-addressed (SHA-256) in the default file storage.
The built-in provider is here; the remote provider (HTTP, HMAC-signed webhooks, failover) is
in remote.py, exercised against the stand-in vendor process of remote_server.py. The commercial
vendors' adapters (法大大, e签宝, 契约锁 — untested against the real services) are in vendors/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accord.core import audit
from accord.signing import services
from accord.signing.errors import (
    CODE_MISSING,
    DOCUMENT_CORRUPT,
    DOCUMENT_NOT_FOUND,
    NOT_SIGNED_YET,
    PROVIDER_UNKNOWN,
    REQUEST_NOT_FOUND,
)
from accord.signing.models import Signature, SigningIntent
from accord.signing.pdf import sha256


@dataclass(frozen=True)
class ProviderRequest:
    provider: str
    request_id: str
    status: str  # SigningIntent.Status values: pending, confirmed, used (= completed), failed
    document_sha256: str
    result_sha256: str | None = None


class SigningProvider(Protocol):
    name: str

    def prepare(self, document: bytes, *, person, document_name: str = "") -> ProviderRequest: ...

    def request(self, request_id: str) -> ProviderRequest: ...

    def callback(self, request_id: str, payload: Mapping[str, Any]) -> ProviderRequest: ...

    def status(self, request_id: str) -> ProviderRequest: ...

    def fetch_result(self, request_id: str) -> bytes: ...


def _document_path(digest: str) -> str:
    return f"signing/documents/{digest[:2]}/{digest}.pdf"


def store_document(data: bytes) -> str:
    """Keep a PDF under its SHA-256 (idempotent); returns the digest."""
    digest = sha256(data)
    path = _document_path(digest)
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    return digest


def load_document(digest: str) -> bytes:
    path = _document_path(digest)
    if not default_storage.exists(path):
        raise DOCUMENT_NOT_FOUND()
    with default_storage.open(path, "rb") as f:
        data = f.read()
    if sha256(data) != digest:  # storage corruption must never be signed or handed out
        raise DOCUMENT_CORRUPT()
    return data


class BuiltinProvider:
    """Accord's own signing service, in-process (services.py does the work)."""

    name = "builtin"

    def _intent(self, request_id: str) -> SigningIntent:
        intent = SigningIntent.objects.filter(
            public_id=request_id, kind=SigningIntent.Kind.PERSON
        ).first()
        if intent is None:
            raise REQUEST_NOT_FOUND()
        return intent

    def _as_request(self, intent: SigningIntent) -> ProviderRequest:
        signature = Signature.objects.filter(intent=intent).first()
        return ProviderRequest(
            provider=self.name,
            request_id=str(intent.public_id),
            status=intent.status,
            document_sha256=intent.document_sha256,
            result_sha256=signature.output_sha256 if signature else None,
        )

    def prepare(self, document: bytes, *, person, document_name: str = "") -> ProviderRequest:
        intent = services.create_person_intent(person, document, document_name=document_name)
        store_document(document)
        return self._as_request(intent)

    def request(self, request_id: str) -> ProviderRequest:
        intent = self._intent(request_id)
        services.send_signing_code(intent)
        return self._as_request(intent)

    def callback(self, request_id: str, payload: Mapping[str, Any]) -> ProviderRequest:
        intent = self._intent(request_id)
        code = payload.get("code")
        if not isinstance(code, str):
            raise CODE_MISSING("code")
        image = payload.get("signature_image")
        signed = services.sign_as_person(
            load_document(intent.document_sha256),
            intent=intent,
            code=code,
            level=str(payload.get("level", "B-T")),
            signature_image=image if isinstance(image, bytes) else None,
        )
        store_document(signed.pdf)
        intent.refresh_from_db()
        return self._as_request(intent)

    def status(self, request_id: str) -> ProviderRequest:
        return self._as_request(self._intent(request_id))

    def fetch_result(self, request_id: str) -> bytes:
        result = self._as_request(self._intent(request_id)).result_sha256
        if result is None:
            raise NOT_SIGNED_YET()
        return load_document(result)


PROVIDERS: dict[str, SigningProvider] = {"builtin": BuiltinProvider()}


def provider(name: str = "builtin") -> SigningProvider:
    """The provider ``name``: built-in, or a commercial vendor once it is configured (otherwise
    ``signing.provider_not_configured``)."""
    from accord.signing.vendors import VENDORS, vendor

    if name in VENDORS:
        return vendor(name)
    if name not in PROVIDERS:
        raise PROVIDER_UNKNOWN("provider")
    return PROVIDERS[name]


class RemoteRequests:
    """What every remote provider (our stand-in and the vendors) keeps locally: one
    ``RemoteSigningRequest`` row a request, read back as a ``ProviderRequest``."""

    name = ""

    def _as_request(self, req) -> ProviderRequest:
        status = {"pending": "pending", "signed": "used", "failed": "failed"}[req.status]
        return ProviderRequest(
            self.name, req.request_id, status, req.document_sha256, req.result_sha256 or None
        )

    def _get(self, request_id: str):
        from accord.signing.models import RemoteSigningRequest

        req = RemoteSigningRequest.objects.filter(provider=self.name, request_id=request_id).first()
        if req is None:
            raise REQUEST_NOT_FOUND()
        return req

    def status(self, request_id: str) -> ProviderRequest:
        return self._as_request(self._get(request_id))

    def fetch_result(self, request_id: str) -> bytes:
        req = self._get(request_id)
        if not req.result_sha256:
            raise NOT_SIGNED_YET()
        return load_document(req.result_sha256)


def record_remote_request(
    provider_name: str, request_id: str, client_ref: str, digest: str, document_name: str
):
    """The local record of a request handed to a remote provider (ours or a vendor), audited."""
    from django.db import transaction

    from accord.signing.models import RemoteSigningRequest

    with transaction.atomic():
        req = RemoteSigningRequest.objects.create(
            provider=provider_name,
            request_id=request_id,
            client_ref=client_ref,
            document_sha256=digest,
        )
        audit.record(
            "signing.remote.prepare",
            req,
            label=document_name or digest[:12],
            changes={"provider": [None, provider_name]},
        )
    return req
