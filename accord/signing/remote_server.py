"""A stand-in for a commercial signing vendor: its own process, HTTP, asynchronous completion.

The vendors (法大大, e签宝, 契约锁) cannot be reached from here. This server behaves as they do,
so that Accord's remote-provider path is exercised for real, failures included:

- ``POST /v1/requests`` (body signed with ``X-Accord-Signature: hex(HMAC-SHA256(secret, body))``)
  ``{"client_ref", "document_b64", "callback_url", "signer_name"}`` → ``202 {"request_id"}``;
  a repeated ``client_ref`` answers the first request's id.
- ``POST /v1/requests/<id>/complete`` — the signer finished on the vendor's own page (in a
  real vendor, their H5 flow); the vendor signs the PDF with *its own* key (PAdES B-B via
  pyHanko) and sends webhooks ``{"event_id", "request_id", "status", "sequence",
  "result_sha256"}`` signed ``X-Vendor-Signature: t=<unix>,v1=hex(HMAC(secret, "t.body"))``,
  retrying failed deliveries with back-off.
- ``GET /v1/requests/<id>/result`` (header ``X-Accord-Signature`` over the path) → the signed PDF.
- ``POST /_control`` ``{"down": bool, "duplicate_webhooks": bool, "stale_webhook": bool}``:
  refuse new requests with 503; send every webhook twice; send an out-of-date ``pending``
  event after the ``signed`` one.

Run it with ``accord signing-provider --port 9030 --secret S``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def sign_header(secret: bytes, body: bytes, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret, f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def _vendor_signer():
    """The vendor's own signing key and self-issued certificate (a vendor uses its CA's)."""
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Stand-in Signing Vendor"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stand-in Vendor"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    from asn1crypto import x509 as asn1_x509
    from pyhanko.keys import load_private_key_from_pemder_data

    asn1_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    return signers.SimpleSigner(
        signing_cert=asn1_cert,
        signing_key=load_private_key_from_pemder_data(key_pem, passphrase=None),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert]),
    )


class VendorState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[str, dict] = {}
        self.by_ref: dict[str, str] = {}
        self.down = False
        self.duplicate_webhooks = False
        self.stale_webhook = False
        self.webhooks_pending = 0  # webhooks not yet delivered or given up (GET /_control tells)
        self.signer = _vendor_signer()


def _sign_pdf(state: VendorState, document: bytes) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(document))
    meta = signers.PdfSignatureMetadata(field_name="VendorSignature", subfilter=None)
    signers.PdfSigner(meta, signer=state.signer).sign_pdf(writer, output=out)
    return out.getvalue()


def _deliver(secret: bytes, url: str, event: dict, attempts: int = 5) -> None:
    body = json.dumps(event).encode()
    for attempt in range(attempts):
        request = urllib.request.Request(  # noqa: S310 (the callback URL Accord registered)
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Vendor-Signature": sign_header(secret, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                if response.status < 300:
                    return
        except Exception:  # noqa: S110 — a vendor retries whatever went wrong
            pass
        time.sleep(0.2 * 2**attempt)


def make_handler(secret: bytes, state: VendorState):
    class Handler(BaseHTTPRequestHandler):
        server_version = "AccordSigningVendorStandIn/1"

        def log_message(self, fmt, *args):
            return

        def _send(
            self, status: int, body: dict | bytes, content_type: str = "application/json"
        ) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authentic(self, signed: bytes) -> bool:
            expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, self.headers.get("X-Accord-Signature", ""))

        def do_GET(self):
            if self.path == "/_control":
                with state.lock:
                    return self._send(200, {"webhooks_pending": state.webhooks_pending})
            parts = self.path.strip("/").split("/")
            if len(parts) == 4 and parts[:2] == ["v1", "requests"] and parts[3] == "result":
                if not self._authentic(self.path.encode()):
                    return self._send(401, {"error": "bad_signature"})
                with state.lock:
                    req = state.requests.get(parts[2])
                if req is None or req.get("result") is None:
                    return self._send(404, {"error": "not_found"})
                return self._send(200, req["result"], "application/pdf")
            return self._send(404, {"error": "not_found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 30 * 1024 * 1024))
            if self.path == "/_control":
                cmd = json.loads(body or b"{}")
                with state.lock:
                    for flag in ("down", "duplicate_webhooks", "stale_webhook"):
                        if flag in cmd:
                            setattr(state, flag, bool(cmd[flag]))
                return self._send(200, {"ok": True})
            if self.path == "/v1/requests":
                if state.down:
                    return self._send(503, {"error": "unavailable"})
                if not self._authentic(body):
                    return self._send(401, {"error": "bad_signature"})
                try:
                    msg = json.loads(body)
                    ref, url = str(msg["client_ref"]), str(msg["callback_url"])
                    document = base64.b64decode(msg["document_b64"], validate=True)
                except (ValueError, KeyError, TypeError):
                    return self._send(400, {"error": "malformed"})
                with state.lock:
                    if ref in state.by_ref:
                        return self._send(202, {"request_id": state.by_ref[ref], "duplicate": True})
                    request_id = uuid.uuid4().hex
                    state.by_ref[ref] = request_id
                    state.requests[request_id] = {
                        "document": document,
                        "callback_url": url,
                        "result": None,
                    }
                return self._send(202, {"request_id": request_id})
            parts = self.path.strip("/").split("/")
            if len(parts) == 4 and parts[:2] == ["v1", "requests"] and parts[3] == "complete":
                with state.lock:
                    req = state.requests.get(parts[2])
                if req is None:
                    return self._send(404, {"error": "not_found"})
                req["result"] = _sign_pdf(state, req["document"])
                digest = hashlib.sha256(req["result"]).hexdigest()
                events = [
                    {
                        "event_id": uuid.uuid4().hex,
                        "request_id": parts[2],
                        "status": "signed",
                        "sequence": 2,
                        "result_sha256": digest,
                    }
                ]
                if state.duplicate_webhooks:
                    events.append(dict(events[0]))
                if state.stale_webhook:
                    events.append(
                        {
                            "event_id": uuid.uuid4().hex,
                            "request_id": parts[2],
                            "status": "pending",
                            "sequence": 1,
                            "result_sha256": None,
                        }
                    )

                with state.lock:
                    state.webhooks_pending += len(events)

                def send_all() -> None:
                    for event in events:
                        try:
                            _deliver(secret, req["callback_url"], event)
                        finally:
                            with state.lock:
                                state.webhooks_pending -= 1

                threading.Thread(target=send_all, daemon=True).start()
                return self._send(200, {"ok": True})
            return self._send(404, {"error": "not_found"})

    return Handler


def serve(host: str, port: int, secret: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(secret.encode(), VendorState()))
    server.daemon_threads = True
    return server
