"""One-time codes texted to a phone, stored hashed: issued, then consumed once.

Shared by the worker's phone login (``LoginCode``) and any app that confirms a phone without an
account (mediation's ``PhoneCode``): a model with ``phone_index``, ``code_hash``, ``created_at``,
``expires_at``, ``attempts`` and ``used_at``. Rate limits, lock-outs and the message texted are the
caller's; what a code is and how it is checked live here once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


class Outcome(Enum):
    OK = "ok"
    INVALID = "invalid"  # no code, a wrong one, or too many tries
    EXPIRED = "expired"


def _hash(scope: str, phone_index: str, code: str) -> str:
    message = f"{scope}:{phone_index}:{code}" if scope else f"{phone_index}:{code}"
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def issue(model: type[models.Model], phone_index: str, ttl_seconds: int, scope: str = "") -> str:
    """A new 6-digit code for the phone; the phone's earlier unused codes stop working."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    model.objects.filter(phone_index=phone_index, used_at__isnull=True).update(used_at=now)
    model.objects.create(
        phone_index=phone_index,
        code_hash=_hash(scope, phone_index, code),
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    return code


def consume(
    model: type[models.Model], phone_index: str, code: str, max_attempts: int, scope: str = ""
) -> Outcome:
    """Check ``code`` against the phone's latest unused code: used up when right, one more
    attempt counted when wrong."""
    with transaction.atomic():
        row = (
            model.objects.select_for_update()
            .filter(phone_index=phone_index, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None:
            return Outcome.INVALID
        now = timezone.now()
        ok = (
            row.expires_at > now
            and row.attempts < max_attempts
            and hmac.compare_digest(row.code_hash, _hash(scope, phone_index, (code or "").strip()))
        )
        if ok:
            row.used_at = now
            row.save(update_fields=["used_at"])
            return Outcome.OK
        row.attempts += 1
        row.save(update_fields=["attempts"])
        return Outcome.EXPIRED if row.expires_at <= now else Outcome.INVALID
