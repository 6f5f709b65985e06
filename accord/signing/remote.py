"""The remote signing provider: a vendor reached over HTTP, completing by signed webhooks.

UNTESTED AGAINST ANY REAL VENDOR: this speaks the protocol of the stand-in vendor process
(``accord signing-provider``, accord/signing/remote_server.py), which behaves as the commercial
vendors do — asynchronous completion, HMAC-signed webhooks, retried, duplicated and out of order.
A real vendor's adapter maps its own API onto the same ``SigningProvider`` interface.

- ``prepare`` sends the document; time-outs and 5xx answers are retried, then the provider
  counts as down (``ProviderUnavailable``) and ``prepare_with_failover`` tries the next one.
- ``handle_webhook`` checks the signature and its age (5 minutes), applies each event once
  (``ProcessedWebhook``), never lets an older event undo a newer one (``sequence``), and on
  ``signed`` fetches the result and checks its SHA-256 before keeping it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accord.core import audit
from accord.core.errors import AccordError
from accord.signing.errors import (
    PROVIDER_ORDER_INVALID,
    PROVIDER_REFUSED,
    PROVIDER_UNAVAILABLE,
    PROVIDER_UNKNOWN,
    RESULT_MISMATCH,
    WEBHOOK_BAD_SIGNATURE,
    WEBHOOK_MALFORMED,
    WEBHOOK_STALE,
    ProviderNotConfigured,
    ProviderUnavailable,
)
from accord.signing.models import ProcessedWebhook, RemoteSigningRequest
from accord.signing.providers import (
    ProviderRequest,
    RemoteRequests,
    provider,
    record_remote_request,
    store_document,
)

WEBHOOK_TOLERANCE_SECONDS = 300


class RemoteProvider(RemoteRequests):
    def __init__(
        self,
        name: str,
        base_url: str,
        secret: str,
        callback_url: str,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.secret = secret.encode()
        self.callback_url = callback_url
        self.timeout = timeout
        self.attempts = attempts

    # -- HTTP -----------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: bytes | None = None) -> bytes:
        signed = body if body is not None else path.encode()
        headers = {"X-Accord-Signature": hmac.new(self.secret, signed, hashlib.sha256).hexdigest()}
        if body is not None:
            headers["Content-Type"] = "application/json"
        last = ""
        for attempt in range(self.attempts):
            request = urllib.request.Request(  # noqa: S310 (the configured provider URL)
                f"{self.base_url}{path}",
                data=body,
                method=method,
                headers=headers,
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return response.read()
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    raise PROVIDER_REFUSED(reason=f"HTTP {exc.code}") from None
                last = f"HTTP {exc.code}"
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                last = type(exc).__name__
            time.sleep(0.1 * 2**attempt)
        raise PROVIDER_UNAVAILABLE(name=self.name, detail=last)

    # -- SigningProvider ----------------------------------------------------------------------
    def prepare(self, document: bytes, *, person, document_name: str = "") -> ProviderRequest:
        digest = store_document(document)
        client_ref = uuid.uuid4().hex
        body = json.dumps(
            {
                "client_ref": client_ref,
                "document_b64": base64.b64encode(document).decode(),
                "callback_url": self.callback_url,
                "signer_name": person.name,
            }
        ).encode()
        answer = json.loads(self._call("POST", "/v1/requests", body))
        req = record_remote_request(
            self.name, answer["request_id"], client_ref, digest, document_name
        )
        return self._as_request(req)

    def request(self, request_id: str) -> ProviderRequest:
        # The vendor asks the signer itself (its own SMS and page); nothing to send from here.
        return self.status(request_id)

    def callback(self, request_id: str, payload: Mapping[str, Any]) -> ProviderRequest:
        """Apply one authentic provider event (see handle_webhook for the checks before it)."""
        event_id = str(payload.get("event_id", ""))
        sequence = int(payload.get("sequence") or 0)
        status = str(payload.get("status", ""))
        if status not in ("pending", "signed", "failed") or not event_id:
            raise WEBHOOK_MALFORMED("body")
        result = b""
        if status == "signed":
            result = self._call("GET", f"/v1/requests/{request_id}/result")
            if hashlib.sha256(result).hexdigest() != payload.get("result_sha256"):
                raise RESULT_MISMATCH()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ProcessedWebhook.objects.create(provider=self.name, event_id=event_id)
            except IntegrityError:
                return self.status(request_id)  # a duplicate delivery: applied already
            req = RemoteSigningRequest.objects.select_for_update().get(pk=self._get(request_id).pk)
            if sequence <= req.sequence or req.status == RemoteSigningRequest.Status.SIGNED:
                return self._as_request(
                    req
                )  # out of order: an older event never undoes a newer one
            before = req.status
            req.status, req.sequence = status, sequence
            if result:
                req.result_sha256 = store_document(result)
            req.save(update_fields=["status", "sequence", "result_sha256", "updated_at"])
            audit.record("signing.remote.event", req, changes={"status": [before, status]})
        return self._as_request(req)

    # -- webhooks -------------------------------------------------------------------------------
    def handle_webhook(
        self, body: bytes, signature_header: str, now: float | None = None
    ) -> ProviderRequest:
        fields = dict(part.split("=", 1) for part in signature_header.split(",") if "=" in part)
        try:
            at = int(fields.get("t", ""))
        except ValueError:
            at = 0
        expected = hmac.new(self.secret, f"{at}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("v1", "")):
            raise WEBHOOK_BAD_SIGNATURE()
        if abs((now or time.time()) - at) > WEBHOOK_TOLERANCE_SECONDS:
            raise WEBHOOK_STALE()
        try:
            payload = json.loads(body)
        except ValueError:
            raise WEBHOOK_MALFORMED("body") from None
        return self.callback(str(payload.get("request_id", "")), payload)


def remote_providers() -> dict[str, RemoteProvider]:
    """Configured in settings: ACCORD_SIGNING_REMOTE = {name: {url, secret}}."""
    base = getattr(settings, "ACCORD_SIGNING_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return {
        name: RemoteProvider(name, conf["url"], conf["secret"], f"{base}/signing/webhooks/{name}")
        for name, conf in getattr(settings, "ACCORD_SIGNING_REMOTE", {}).items()
    }


def get_provider(name: str):
    remote = remote_providers()
    return remote[name] if name in remote else provider(name)


def prepare_with_failover(
    document: bytes, *, person, order: list[str], document_name: str = ""
) -> ProviderRequest:
    """Try the enterprise's providers in its order; a provider that is down hands over to the next."""

    last: AccordError | None = None
    for name in order:
        try:
            return get_provider(name).prepare(document, person=person, document_name=document_name)
        except (ProviderUnavailable, ProviderNotConfigured) as exc:
            last = exc
            audit.record(
                "signing.provider_failover",
                None,
                object_type="signing.provider",
                object_id=name,
                changes={"error": [None, exc.message_en]},
            )
    raise last or PROVIDER_UNKNOWN("provider")


def available_providers() -> list[str]:
    """What an enterprise may choose: built-in, configured remote providers and configured
    vendors (a vendor without its settings is not offered)."""
    from accord.signing.providers import PROVIDERS
    from accord.signing.vendors import configured_vendors

    return [*PROVIDERS, *remote_providers(), *configured_vendors()]


def provider_order(enterprise) -> list[str]:
    """The enterprise's chosen providers, in order; the built-in one when it chose none."""
    from accord.signing.models import EnterpriseSigningPolicy

    policy = EnterpriseSigningPolicy.objects.filter(enterprise=enterprise).first()
    return list(policy.provider_order) if policy and policy.provider_order else ["builtin"]


@transaction.atomic
def set_provider_order(enterprise, order: list[str]) -> list[str]:
    from accord.signing.models import EnterpriseSigningPolicy
    from accord.signing.vendors import VENDORS, vendor

    for name in order:
        if name in VENDORS:
            vendor(name)  # a known vendor without settings: say so, not "unknown"
    known = available_providers()
    if not order or len(order) != len(set(order)) or any(name not in known for name in order):
        raise PROVIDER_ORDER_INVALID(known=", ".join(known))
    policy, _ = EnterpriseSigningPolicy.objects.select_for_update().get_or_create(
        enterprise=enterprise
    )
    before = list(policy.provider_order)
    policy.provider_order = order
    policy.save(update_fields=["provider_order", "updated_at"])
    audit.record(
        "signing.provider_order.set",
        policy,
        enterprise_id=enterprise.pk,
        changes={"provider_order": [before, order]},
    )
    return order
