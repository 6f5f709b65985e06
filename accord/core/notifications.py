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
        message.status, message.gateway_message_id = SmsMessage.Status.SENT, receipt.gateway_message_id
    message.save(update_fields=["status", "error", "gateway_message_id", "updated_at"])
    return message.status


def notify(recipient, title: str, body: str = "", link: str = "") -> Notification:
    return Notification.objects.create(recipient=recipient, title=title, body=body, link=link)


def request_notification(recipient, title: str, body: str = "", link: str = "") -> None:
    """Ask for an inbox message from inside a change's transaction; the worker delivers it once."""
    from accord.core.events import publish

    publish("core.notification.requested",
            {"recipient": recipient.pk, "title": title[:200], "body": body, "link": link[:400]})


def _deliver_notification(event) -> None:
    from django.contrib.auth import get_user_model

    recipient = get_user_model().objects.filter(pk=event.payload["recipient"]).first()
    if recipient is not None:
        notify(recipient, event.payload["title"], event.payload.get("body", ""), event.payload.get("link", ""))


def register_subscribers() -> None:
    from accord.core.events import subscriber

    subscriber("core.notification.requested", "core.inbox")(_deliver_notification)
