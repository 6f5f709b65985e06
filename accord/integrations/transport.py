"""Posting a webhook: one HTTP request with short time-outs, no redirects, and (in production) no
private, loopback or link-local addresses, checked on the address actually connected to.

``http.client`` rather than a client library: it never follows redirects, and connecting to the
address we checked (instead of resolving the name a second time) closes the DNS-rebinding gap.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from accord.core.errors import REQUIRED
from accord.integrations.errors import URL_INVALID

MAX_URL_LENGTH = 500
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def allow_private() -> bool:
    """May endpoints be on private or loopback addresses? Yes in development and tests (a
    receiver on the developer's machine), no in production unless explicitly allowed."""
    default = settings.ACCORD_ENV != "production"
    return bool(getattr(settings, "ACCORD_WEBHOOK_ALLOW_PRIVATE", default))


def timeout_seconds() -> float:
    return float(getattr(settings, "ACCORD_WEBHOOK_TIMEOUT_SECONDS", 10))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, private_allowed: bool | None = None) -> str:
    """The URL, cleaned, or InvalidInput: http(s) only, a host, no credentials in it, and no
    private or loopback IP literal where those are not allowed."""
    url = (url or "").strip()
    private_allowed = allow_private() if private_allowed is None else private_allowed
    if not url:
        raise REQUIRED("url")
    if len(url) > MAX_URL_LENGTH:
        raise URL_INVALID()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise URL_INVALID() from None
    if parts.scheme not in ("http", "https"):
        raise URL_INVALID()
    if not parts.hostname:
        raise URL_INVALID()
    if parts.username or parts.password:
        raise URL_INVALID()
    if port == 0:
        raise URL_INVALID()
    if not parts.hostname.isascii():
        # An internationalised name (人事.例子.中国) is sent in its ASCII (IDNA) form.
        try:
            ascii_host = parts.hostname.encode("idna").decode("ascii")
        except UnicodeError:
            raise URL_INVALID() from None
        netloc = ascii_host + (f":{port}" if port else "")
        url = urlunsplit(parts._replace(netloc=netloc))
        parts = urlsplit(url)
    if not private_allowed:
        host = (parts.hostname or "").lower().rstrip(".")
        try:
            literal = not _is_public(host)
        except ValueError:  # a name, not an address: checked again when sending
            literal = host in _LOCAL_NAMES or host.endswith(".localhost")
        if literal:
            raise URL_INVALID()
    return url


@dataclass
class Outcome:
    status_code: int | None
    error: str
    elapsed_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand; the Host header keeps the name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _resolve(host: str, port: int, private_allowed: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectionError(f"cannot resolve {host}: {exc}") from None
    addresses = [str(info[4][0]) for info in infos]
    if not private_allowed:
        refused = [a for a in addresses if not _is_public(a)]
        if refused:
            raise ConnectionError(
                f"{host} resolves to a non-public address ({refused[0]}); refused"
            )
    return str(addresses[0])


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float | None = None
) -> Outcome:
    """POST once. Never raises for network trouble: the outcome says what happened."""
    timeout = timeout_seconds() if timeout is None else timeout
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection | None = None
    try:
        address = _resolve(host, port, allow_private())
        cls = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        connection = cls(host, port, address, timeout)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)  # the answer's body is not kept; a little is read to end cleanly
        status = response.status
        if 300 <= status < 400:
            return Outcome(status, f"HTTP {status}: redirects are not followed", elapsed())
        if not 200 <= status < 300:
            return Outcome(status, f"HTTP {status}", elapsed())
        return Outcome(status, "", elapsed())
    except TimeoutError:
        return Outcome(None, f"timed out after {timeout:g} s", elapsed())
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], elapsed())
    except (UnicodeError, ValueError) as exc:  # a URL http.client cannot send as it is
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], elapsed())
    finally:
        if connection is not None:
            connection.close()
