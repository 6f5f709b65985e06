"""A real HTTP receiver (http.server in a thread on 127.0.0.1) standing in for an enterprise's
HR system: it checks each delivery's signature as a receiver should, and answers as told."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accord.integrations import signature
from accord.integrations.services import create_endpoint


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_valid: bool


@dataclass
class Receiver:
    url: str
    secrets: list[str] = field(default_factory=list)
    # What to answer, one entry per request: (status, delay in seconds, extra headers); the
    # last entry repeats. A receiver that cannot verify the signature answers 401 whatever this says.
    script: list[tuple[int, float, dict]] = field(default_factory=lambda: [(204, 0.0, {})])
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *steps: tuple) -> None:
        self.script = [
            (s[0], s[1] if len(s) > 1 else 0.0, s[2] if len(s) > 2 else {}) for s in steps
        ]

    def valid(self, headers: dict[str, str], body: bytes) -> bool:
        for secret in self.secrets:
            try:
                signature.verify(
                    secret,
                    headers.get("Accord-Webhook-Id", ""),
                    headers.get("Accord-Webhook-Timestamp", ""),
                    body,
                    headers.get("Accord-Webhook-Signature", ""),
                )
                return True
            except signature.SignatureError:
                continue
        return False


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k: v for k, v in self.headers.items()}
            ok = state.valid(headers, body)
            with state.lock:
                index = len(state.received)
                state.received.append(Received(headers, body, ok))
                status, delay, extra = state.script[min(index, len(state.script) - 1)]
            if delay:
                time.sleep(delay)
            if not ok:
                status = 401
            try:
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (the time-out test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/accord"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def enterprise(make_enterprise):
    return make_enterprise(street="futian", industry="65")


@pytest.fixture
def hr(make_user, enterprise):
    return make_user("hr", enterprise=enterprise, totp=False)


@pytest.fixture
def endpoint(enterprise, hr, receiver):
    """An endpoint of ``enterprise`` on the receiver, which knows its secret."""
    made, secret = create_endpoint(
        enterprise=enterprise, url=receiver.url, topics=["*"], created_by=hr
    )
    receiver.secrets = [secret]
    return made
