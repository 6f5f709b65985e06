"""Notifications: the in-app inbox, and SMS through an ``SmsGateway``.

The gateway is chosen in settings (ACCORD_SMS_GATEWAY). The local gateway delivers into
the database and shows the messages on /dev/sms when DEBUG is on, so that a developer can
receive a worker's login code. A commercial gateway plugs in behind the same interface.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from accord.core.crypto import blind_index, mask_phone
from accord.core.models import Notification, SmsMessage


@dataclass(frozen=True)
class SmsReceipt:
    gateway_message_id: str


class SmsGatewayError(Exception):
    """The gateway refused or could not be reached; the message is marked failed."""


class SmsGateway(Protocol):
    name: str
    #: True when the gateway's store is the recipient's phone itself (development only):
    #: then the text is kept, login codes included, so it can be shown on /dev/sms.
    keeps_text: bool

    def send(self, phone: str, text: str) -> SmsReceipt: ...


class LocalSmsGateway:
    """Development gateway: the message row is the delivered message."""

    name = "local"
    keeps_text = True

    def send(self, phone: str, text: str) -> SmsReceipt:
        if not phone.isdigit():
            raise SmsGatewayError("invalid phone number")
        return SmsReceipt(gateway_message_id=f"local-{uuid.uuid4().hex[:16]}")


class HttpSmsGateway:
    """A gateway reached over HTTP with an HMAC-signed body, as commercial gateways are.

    Retries on 5xx answers and time-outs with the same ``client_ref``, which the gateway uses to
    send each message once; gives up with SmsGatewayError after ``attempts`` tries.
    Configured by ACCORD_SMS_HTTP_URL and ACCORD_SMS_HTTP_SECRET.
    """

    name = "http"
    keeps_text = False

    def __init__(
        self,
        url: str | None = None,
        secret: str | None = None,
        timeout: float = 3.0,
        attempts: int = 3,
    ) -> None:
        self.url = (url or settings.ACCORD_SMS_HTTP_URL).rstrip("/")
        self.secret = (secret or settings.ACCORD_SMS_HTTP_SECRET).encode()
        self.timeout = timeout
        self.attempts = attempts

    def send(self, phone: str, text: str) -> SmsReceipt:
        import hashlib
        import hmac
        import json
        import urllib.error
        import urllib.request

        body = json.dumps({"phone": phone, "text": text, "client_ref": uuid.uuid4().hex}).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        last_error = ""
        for _ in range(self.attempts):
            request = urllib.request.Request(  # noqa: S310 (a configured http(s) URL)
                f"{self.url}/v1/messages",
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "X-Accord-Signature": signature},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return SmsReceipt(gateway_message_id=json.loads(response.read())["message_id"])
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    raise SmsGatewayError(f"gateway refused the message: HTTP {exc.code}") from None
                last_error = f"HTTP {exc.code}"
            except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
        raise SmsGatewayError(f"gateway unavailable after {self.attempts} attempts ({last_error})")


@cache
def gateway() -> SmsGateway:
    return import_string(settings.ACCORD_SMS_GATEWAY)()


def send_sms(phone: str, text: str, *, sensitive: bool = False) -> SmsMessage:
    """Send now (login codes cannot wait for a queue); the outcome is stored either way."""
    gw = gateway()
    stored_text = text if (gw.keeps_text or not sensitive) else "[redacted: one-time code]"
    message = SmsMessage.objects.create(
        phone=phone,
        phone_index=blind_index(phone, "phone"),
        phone_masked=mask_phone(phone),
        text=stored_text,
        gateway=gw.name,
    )
    try:
        receipt = gw.send(phone, text)
    except SmsGatewayError as exc:
        message.status = SmsMessage.Status.FAILED
        message.error = str(exc)[:1000]
    else:
        message.status = SmsMessage.Status.SENT
        message.gateway_message_id = receipt.gateway_message_id
    message.save(update_fields=["status", "error", "gateway_message_id", "updated_at"])
    return message


def dispatch_sms(message_id: int) -> str:
    message = SmsMessage.objects.get(id=message_id)
    if message.status == SmsMessage.Status.SENT:
        return message.status
    try:
        receipt = gateway().send(message.phone, message.text)
    except SmsGatewayError as exc:
        message.status, message.error = SmsMessage.Status.FAILED, str(exc)[:1000]
    else:
        message.status, message.gateway_message_id = (
            SmsMessage.Status.SENT,
            receipt.gateway_message_id,
        )
    message.save(update_fields=["status", "error", "gateway_message_id", "updated_at"])
    return message.status


def notify(recipient, title: str, body: str = "", link: str = "") -> Notification:
    return Notification.objects.create(recipient=recipient, title=title, body=body, link=link)


def request_notification(recipient, title: str, body: str = "", link: str = "") -> None:
    """Ask for an inbox message from inside a change's transaction; the worker delivers it once."""
    from accord.core.events import publish

    publish(
        "core.notification.requested",
        {"recipient": recipient.pk, "title": title[:200], "body": body, "link": link[:400]},
    )


def _deliver_notification(event) -> None:
    from django.contrib.auth import get_user_model

    recipient = get_user_model().objects.filter(pk=event.payload["recipient"]).first()
    if recipient is not None:
        notify(
            recipient,
            event.payload["title"],
            event.payload.get("body", ""),
            event.payload.get("link", ""),
        )


def register_subscribers() -> None:
    from accord.core.events import subscriber

    subscriber("core.notification.requested", "core.inbox")(_deliver_notification)
