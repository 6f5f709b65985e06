"""A stand-in SMS gateway that behaves like a commercial one: a separate process speaking HTTP.

Commercial SMS gateways cannot be reached from here. This server gives the HttpSmsGateway
client something real to talk to, failures included:

- ``POST /v1/messages`` with JSON ``{"phone", "text", "client_ref"}`` and the header
  ``X-Accord-Signature: hex(HMAC-SHA256(secret, body))``; answers ``202 {"message_id"}``.
  A repeated ``client_ref`` is answered with the first message's id and not sent twice.
- ``401`` on a wrong signature, ``400`` on malformed bodies, ``422`` on a bad phone number.
- ``POST /_control`` ``{"fail_next": n, "slow_next": n, "slow_seconds": s}``: the next n
  sends answer 503, or answer only after s seconds (a timeout for the client).
- ``GET /v1/messages?phone=…``: what was delivered (the test's view of the handset).

Run it with ``accord sms-gateway --port 9025 --secret …``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PHONE = re.compile(r"^1[3-9]\d{9}$")


class GatewayState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[dict] = []
        self.by_ref: dict[str, str] = {}
        self.fail_next = 0
        self.slow_next = 0
        self.slow_seconds = 5.0
        self.in_flight = 0  # message requests being answered (GET /_control tells)


def make_handler(secret: bytes, state: GatewayState):
    class Handler(BaseHTTPRequestHandler):
        server_version = "AccordSmsSimulator/1"

        def log_message(self, fmt, *args):  # quiet: tests read results, not logs
            return

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(min(length, 64 * 1024))

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/_control":
                with state.lock:
                    return self._send(200, {"in_flight": state.in_flight})
            if url.path != "/v1/messages":
                return self._send(404, {"error": "not_found"})
            phone = parse_qs(url.query).get("phone", [None])[0]
            with state.lock:
                found = [m for m in state.messages if phone is None or m["phone"] == phone]
            return self._send(200, {"messages": found})

        def do_POST(self):
            body = self._body()
            if self.path == "/_control":
                cmd = json.loads(body or b"{}")
                with state.lock:
                    state.fail_next = int(cmd.get("fail_next", state.fail_next))
                    state.slow_next = int(cmd.get("slow_next", state.slow_next))
                    state.slow_seconds = float(cmd.get("slow_seconds", state.slow_seconds))
                return self._send(200, {"ok": True})
            if self.path != "/v1/messages":
                return self._send(404, {"error": "not_found"})
            with state.lock:
                state.in_flight += 1
            try:
                return self._message(body)
            finally:
                with state.lock:
                    state.in_flight -= 1

        def _message(self, body: bytes):
            expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-Accord-Signature", "")):
                return self._send(401, {"error": "bad_signature"})
            try:
                msg = json.loads(body)
                phone, text, ref = str(msg["phone"]), str(msg["text"]), str(msg["client_ref"])
            except (ValueError, KeyError, TypeError):
                return self._send(400, {"error": "malformed"})
            if not PHONE.match(phone):
                return self._send(422, {"error": "bad_phone"})
            with state.lock:
                slow = state.slow_next > 0
                if slow:
                    state.slow_next -= 1
                fail = not slow and state.fail_next > 0
                if fail:
                    state.fail_next -= 1
            if slow:
                time.sleep(state.slow_seconds)
            if fail:
                return self._send(503, {"error": "unavailable"})
            with state.lock:
                if ref in state.by_ref:
                    return self._send(202, {"message_id": state.by_ref[ref], "duplicate": True})
                message_id = uuid.uuid4().hex
                state.by_ref[ref] = message_id
                state.messages.append(
                    {
                        "message_id": message_id,
                        "phone": phone,
                        "text": text,
                        "client_ref": ref,
                        "at": time.time(),
                    }
                )
            return self._send(202, {"message_id": message_id})

    return Handler


def serve(host: str, port: int, secret: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(secret.encode(), GatewayState()))
    server.daemon_threads = True
    return server
