"""What the commercial vendors' adapters share: settings, HTTP, request state, webhooks.

UNTESTED AGAINST THE REAL SERVICES: we cannot reach 法大大, e签宝 or 契约锁 from here. Each
adapter is written from the vendor's public API documentation (cited in its module) and tested
against a local HTTP server that checks what our reading of those documents says a request must
look like. Before an adapter is switched on for real, run it against the vendor's sandbox.

Configuration comes from settings or the environment, never from the repository::

    ACCORD_SIGNING_VENDORS = {"esign": {"app_id": "...", "app_secret": "...", "base_url": "..."}}

or ``ACCORD_ESIGN_APP_ID`` / ``ACCORD_ESIGN_APP_SECRET`` / ``ACCORD_ESIGN_BASE_URL`` (and the same
with FADADA and QIYUESUO; 契约锁 calls its id ``app_token``). An adapter whose settings are
missing refuses with ``signing.provider_not_configured`` and cannot be chosen by an enterprise.

State: a ``RemoteSigningRequest`` per signing (provider, the vendor's flow id, our document hash,
status, the signed result's hash). A vendor's callback is accepted only when its signature checks
out; even then we do not take its word for the outcome: we ask the vendor's API (with our own
signed request) for the flow's status and download the signed file ourselves.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from accord.core import audit
from accord.core.errors import AccordError, ErrorCode
from accord.signing.errors import (
    PROVIDER_BAD_ANSWER,
    PROVIDER_NOT_CONFIGURED,
    PROVIDER_REFUSED,
    PROVIDER_UNAVAILABLE,
    SIGNER_PHONE_MISSING,
    WEBHOOK_BAD_SIGNATURE,
    WEBHOOK_MALFORMED,
    WEBHOOK_STALE,
)
from accord.signing.models import ProcessedWebhook, RemoteSigningRequest
from accord.signing.providers import (
    ProviderRequest,
    RemoteRequests,
    record_remote_request,
    store_document,
)

CALLBACK_TOLERANCE_SECONDS = 15 * 60  # the vendors' own replay window for timestamps


def rejected(error: ErrorCode = WEBHOOK_BAD_SIGNATURE) -> AccordError:
    """A vendor callback that is not authentic: its signature is wrong, or it is replayed."""
    return error()


@dataclass(frozen=True)
class VendorConfig:
    app_id: str
    app_secret: str
    base_url: str


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise PROVIDER_BAD_ANSWER() from None


@dataclass(frozen=True)
class Outcome:
    """A vendor flow's state, from its API: pending, signed or failed."""

    status: str
    detail: str = ""


class VendorAdapter(RemoteRequests):
    """One commercial vendor behind the ``SigningProvider`` protocol (providers.py)."""

    name = ""
    label = ""  # shown to people (Chinese name)
    id_setting = "app_id"  # what the vendor calls the application id in its console
    default_base_url = ""
    timeout = 10.0
    attempts = 3

    # -- configuration --------------------------------------------------------------------------
    def _raw_config(self) -> dict[str, str]:
        conf = dict(getattr(settings, "ACCORD_SIGNING_VENDORS", {}).get(self.name, {}))
        prefix = f"ACCORD_{self.name.upper()}_"
        for key in ("app_id", "app_secret", "base_url", self.id_setting):
            conf.setdefault(key, os.environ.get(prefix + key.upper(), ""))
        if self.id_setting != "app_id" and conf.get(self.id_setting):
            conf["app_id"] = conf[self.id_setting]
        return conf

    def missing_settings(self) -> list[str]:
        conf = self._raw_config()
        return [key for key in (self.id_setting, "app_secret") if not conf.get(key)]

    def configured(self) -> bool:
        return not self.missing_settings()

    def config(self) -> VendorConfig:
        missing = self.missing_settings()
        if missing:
            raise PROVIDER_NOT_CONFIGURED(name=self.name, missing=", ".join(missing))
        conf = self._raw_config()
        return VendorConfig(
            conf["app_id"], conf["app_secret"], (conf.get("base_url") or self.default_base_url)
        )

    def callback_url(self) -> str:
        base = getattr(settings, "ACCORD_SIGNING_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        return f"{base}/signing/webhooks/{self.name}"

    # -- HTTP -------------------------------------------------------------------------------------
    def http(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpAnswer:
        """One HTTP exchange; time-outs and 5xx are retried, then the vendor counts as down."""
        last = ""
        for attempt in range(self.attempts):
            request = urllib.request.Request(  # noqa: S310 - the configured vendor URL
                url, data=body, method=method, headers=dict(headers or {})
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return HttpAnswer(response.status, response.read(), dict(response.headers))
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    raise PROVIDER_REFUSED(reason=f"HTTP {exc.code}") from None
                last = f"HTTP {exc.code}"
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                last = type(exc).__name__
            time.sleep(0.1 * 2**attempt)
        raise PROVIDER_UNAVAILABLE(name=self.name, detail=last)

    @staticmethod
    def refused(code: Any, message: Any) -> AccordError:
        return PROVIDER_REFUSED(reason=f"{code}: {message}")

    # -- what each vendor implements ----------------------------------------------------------
    def create_flow(self, document: bytes, *, person, document_name: str, client_ref: str) -> str:
        """Upload the document, start a signing flow for ``person``; the vendor's flow id."""
        raise NotImplementedError

    def flow_outcome(self, request_id: str) -> Outcome:
        raise NotImplementedError

    def download_signed(self, request_id: str) -> bytes:
        raise NotImplementedError

    def verify_callback(
        self, body: bytes, headers: Mapping[str, str], now: float | None = None
    ) -> dict[str, Any]:
        """Check the callback's signature and age; the event (request_id, event_id) if good."""
        raise NotImplementedError

    # -- SigningProvider ------------------------------------------------------------------------
    def prepare(self, document: bytes, *, person, document_name: str = "") -> ProviderRequest:
        self.config()  # refuse before touching anything when not configured
        from accord.signing.pdf import open_pdf

        open_pdf(document)
        if not getattr(person, "phone", ""):
            raise SIGNER_PHONE_MISSING(label=self.label, name=self.name)
        digest = store_document(document)
        client_ref = uuid.uuid4().hex
        request_id = self.create_flow(
            document,
            person=person,
            document_name=document_name or "document.pdf",
            client_ref=client_ref,
        )
        req = record_remote_request(self.name, request_id, client_ref, digest, document_name)
        return self._as_request(req)

    def request(self, request_id: str) -> ProviderRequest:
        # The vendor notifies the signer itself (its SMS, its signing page).
        return self.status(request_id)

    def callback(self, request_id: str, payload: Mapping[str, Any]) -> ProviderRequest:
        """Apply an authentic callback: ask the vendor where the flow stands, keep the result."""
        event_id = str(payload.get("event_id") or "")
        if not event_id:
            raise WEBHOOK_MALFORMED("body")
        req = self._get(request_id)
        if req.status != RemoteSigningRequest.Status.PENDING:
            return self._as_request(req)  # finished already: later events change nothing
        outcome = self.flow_outcome(request_id)
        result = b""
        if outcome.status == "signed":
            result = self.download_signed(request_id)
            from accord.signing.pdf import open_pdf

            open_pdf(result, allow_scripts=True)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ProcessedWebhook.objects.create(provider=self.name, event_id=event_id)
            except IntegrityError:
                return self.status(request_id)  # a duplicate delivery: applied already
            req = RemoteSigningRequest.objects.select_for_update().get(pk=req.pk)
            if req.status != RemoteSigningRequest.Status.PENDING or outcome.status == "pending":
                return self._as_request(req)
            before = req.status
            req.status = outcome.status
            req.sequence += 1
            if result:
                req.result_sha256 = store_document(result)
            req.save(update_fields=["status", "sequence", "result_sha256", "updated_at"])
            audit.record(
                "signing.remote.event",
                req,
                changes={"status": [before, outcome.status], "detail": [None, outcome.detail]},
            )
        return self._as_request(req)

    def handle_webhook(
        self, body: bytes, headers: Mapping[str, str], now: float | None = None
    ) -> ProviderRequest:
        event = self.verify_callback(body, headers, now)
        return self.callback(str(event["request_id"]), event)


def check_age(timestamp_ms: str, now: float | None = None) -> None:
    try:
        at = int(timestamp_ms) / 1000
    except (TypeError, ValueError):
        raise rejected() from None
    if abs((now if now is not None else time.time()) - at) > CALLBACK_TOLERANCE_SECONDS:
        raise rejected(WEBHOOK_STALE)


def header(headers: Mapping[str, str], name: str) -> str:
    """A header by name, whatever its case (HTTP header names are case-insensitive)."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def query_path(path: str, query: Mapping[str, str] | None = None) -> str:
    return f"{path}?{urllib.parse.urlencode(query)}" if query else path
