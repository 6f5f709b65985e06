"""Notices (outbox subscribers: at-least-once, each event once): a party's turn — an SMS with a
personal link for a person, the inbox for HR — and completion to everybody; the link itself."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils import timezone

from accord.core.models import Notification
from accord.core.notifications import request_notification, send_sms
from accord.envelopes import errors
from accord.envelopes.models import Envelope, Party
from accord.envelopes.services.base import enterprise_party, link_hash
from accord.identity.models import Role, User


def notify_party(event) -> None:
    """Tell a party it is their turn: SMS with a personal link for a person, inbox for HR."""
    party = (
        Party.objects.select_related("envelope__enterprise", "person")
        .filter(public_id=event.payload["party"])
        .first()
    )
    if party is None or party.status != Party.Status.READY:
        return
    envelope = party.envelope
    reminder = "（提醒）" if event.payload.get("reminder") else ""
    if party.role in Party.PERSONAL_ROLES and party.person is not None:
        token = secrets.token_urlsafe(24)
        Party.objects.filter(pk=party.pk).update(link_token_hash=link_hash(token))
        base = getattr(settings, "ACCORD_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
        send_sms(
            party.person.phone,
            f"【福易签】{reminder}{envelope.enterprise.name}请您签署《{envelope.title}》，"
            f"截止 {timezone.localtime(envelope.deadline):%m-%d %H:%M}。点击 {base}/s/{token} 查看并签署。",
        )
        user = getattr(party.person, "user", None)
        if user is not None:
            request_notification(
                user,
                f"待签署：{envelope.title}",
                f"{envelope.enterprise.name} · {envelope.number}",
                f"/my/sign/{party.public_id}",
            )
        return
    if envelope.batch_id:
        # A batch is sealed from its own page (批量盖章): no inbox notice (nor a daily reminder)
        # per envelope to HR — ten thousand of them would bury everything else.
        return
    for user in _sealers(party):
        request_notification(
            user,
            f"{reminder}{SEAL_REQUEST}{envelope.title}",
            f"{envelope.number}",
            seal_request_link(envelope),
        )


SEAL_REQUEST = "待盖章："  # the title of an HR inbox notice asking for the enterprise seal


def seal_request_link(envelope: Envelope) -> str:
    return f"/envelopes/{envelope.public_id}/"


def clear_seal_requests(envelope: Envelope) -> int:
    """Once the envelope is sealed its 待盖章 notices leave every HR inbox: a done to-do is no
    message (the audit log keeps the act). A notice delivered later is never written: the
    party is no longer ready (``notify_party``)."""
    deleted, _ = Notification.objects.filter(
        link=seal_request_link(envelope), title__contains=SEAL_REQUEST
    ).delete()
    return deleted


def _sealers(party: Party) -> list:
    group = list(party.signers.all())
    if group:
        return group
    return list(
        User.objects.filter(
            memberships__enterprise_id=party.envelope.enterprise_id,
            memberships__role=Role.HR,
            memberships__active=True,
            is_active=True,
        ).distinct()[:20]
    )


def notify_completion(event) -> None:
    envelope = (
        Envelope.objects.select_related("enterprise", "person__user", "created_by")
        .filter(public_id=event.payload["envelope"])
        .first()
    )
    if envelope is None:
        return
    users = {u.pk: u for u in _sealers(enterprise_party(envelope))}
    if envelope.created_by is not None:
        users[envelope.created_by.pk] = envelope.created_by
    workers = {}
    for party in envelope.parties.filter(person__isnull=False).select_related("person__user"):
        user = getattr(party.person, "user", None)
        if user is not None:
            workers[user.pk] = user
        if party.person.phone:
            send_sms(
                party.person.phone,
                f"【福易签】《{envelope.title}》已签署完成，您可随时登录查看和下载（编号 {envelope.number}）。",
            )
    for user in users.values():
        request_notification(
            user, f"已完成：{envelope.title}", envelope.number, f"/envelopes/{envelope.public_id}/"
        )
    for user in workers.values():
        request_notification(user, f"已完成：{envelope.title}", envelope.number, "/my/documents")


def party_for_link(token: str) -> Party:
    party = (
        Party.objects.select_related("envelope")
        .filter(link_token_hash=link_hash(token))
        .exclude(link_token_hash="")
        .first()
    )
    if party is None:
        raise errors.LINK_UNKNOWN()
    return party
