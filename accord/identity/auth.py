"""Logging in: staff by password (+ TOTP for bureau roles), workers by phone + SMS code,
enterprise systems by API token. Rate limits and lock-outs on every path."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core import audit, ratelimit
from accord.core.context import Actor, acting_as, current_actor
from accord.core.crypto import blind_index
from accord.core.errors import LOCKED, RATE_LIMITED, REQUIRED, AccordError
from accord.core.notifications import send_sms
from accord.identity import texted_codes
from accord.identity.errors import (
    CODE_EXPIRED,
    CODE_INVALID,
    INVALID_CREDENTIALS,
    SMS_RATE_LIMITED,
    SMS_TOO_SOON,
    TOTP_INVALID,
    TOTP_NOT_ENROLLED,
    LoginFailed,  # noqa: F401 (callers catch auth.LoginFailed)
)
from accord.identity.models import ApiToken, Enterprise, LoginCode, Role, User
from accord.identity.validators import clean_phone


def _bad_credentials() -> AccordError:
    return INVALID_CREDENTIALS()


def _as(user: User) -> Actor:
    a = current_actor()
    return Actor(
        user_id=user.pk,
        label=user.get_username(),
        role=user.primary_role,
        ip=a.ip,
        user_agent=a.user_agent,
        request_id=a.request_id,
    )


def _check_lockouts(account: str, ip: str | None) -> None:
    """Refuse a source locked out of ``account``, or ``account`` locked from everywhere."""
    ratelimit.check_not_locked(f"{account}:{ip}", code=LOCKED)
    ratelimit.check_not_locked(account, code=LOCKED)


def _register_failure(account: str, ip: str | None) -> bool:
    """A failure counts against this source (ACCORD_LOGIN_MAX_FAILURES locks it out of the
    account) and, far more leniently, against the account from anywhere
    (ACCORD_LOGIN_ACCOUNT_MAX_FAILURES): one stranger can no longer lock the real owner out by
    failing five times (issue #13), while a spread-out guessing attack still stops."""
    lockout = settings.ACCORD_LOGIN_LOCKOUT_SECONDS
    locked = ratelimit.register_failure(
        f"{account}:{ip}", settings.ACCORD_LOGIN_MAX_FAILURES, lockout
    )
    everywhere = ratelimit.register_failure(
        account, getattr(settings, "ACCORD_LOGIN_ACCOUNT_MAX_FAILURES", 50), lockout
    )
    return locked or everywhere


def unlock_account(username: str) -> bool:
    """An administrator lifts the lock-out of an account locked from everywhere; audited.
    Per-source locks stay: they hold the stranger, not the owner."""
    unlocked = ratelimit.unlock(f"login-user:{username.lower()}")
    audit.record(
        "auth.account_unlocked",
        None,
        object_type="identity.user",
        object_id=username[:64],
        changes={"was_locked": [None, unlocked]},
    )
    return unlocked


def check_password_login(username: str, password: str, ip: str | None) -> User:
    """First factor of staff login. Locks the account after repeated failures."""
    ratelimit.hit(f"login-ip:{ip}", limit=60, window=600, code=RATE_LIMITED)
    account = f"login-user:{username.lower()}"
    _check_lockouts(account, ip)
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        locked = _register_failure(account, ip)
        audit.record(
            "auth.login_failed",
            None,
            object_type="identity.user",
            object_id=username[:64],
            changes={"locked": [None, locked]},
        )
        raise _bad_credentials()
    ratelimit.clear_failures(f"{account}:{ip}")
    return user


def totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def _verify_device_token(user: User, device: TOTPDevice, token: str) -> None:
    """One TOTP attempt against ``device``: failures count towards the account's lock-out."""
    key = f"totp-user:{user.pk}"
    ratelimit.check_not_locked(key, code=LOCKED)
    if not (token or "").strip().isdigit() or not device.verify_token(token.strip()):
        locked = ratelimit.register_failure(
            key, settings.ACCORD_LOGIN_MAX_FAILURES, settings.ACCORD_LOGIN_LOCKOUT_SECONDS
        )
        with acting_as(_as(user)):
            audit.record("auth.totp_failed", user, changes={"locked": [None, locked]})
        raise TOTP_INVALID("otp_token")
    ratelimit.clear_failures(key)


def check_totp(user: User, token: str) -> TOTPDevice:
    device = totp_device(user)
    if device is None:
        raise TOTP_NOT_ENROLLED()
    _verify_device_token(user, device, token)
    return device


def record_login(user: User, method: str) -> None:
    with acting_as(_as(user)):
        audit.record("auth.login", user, changes={"method": [None, method]})


# ---- workers: phone + SMS code ------------------------------------------------------------


@transaction.atomic
def send_login_code(phone: str, ip: str | None) -> None:
    """Text a 6-digit code. Answers the same whether or not the phone is known (no enumeration)."""
    phone = clean_phone(phone)
    index = blind_index(phone, "phone")
    ratelimit.hit(
        f"sms-phone:{index}",
        limit=1,
        window=settings.ACCORD_SMS_SEND_INTERVAL_SECONDS,
        code=SMS_TOO_SOON,
    )
    ratelimit.hit(
        f"sms-ip:{ip}",
        limit=settings.ACCORD_SMS_SENDS_PER_HOUR_PER_IP,
        window=3600,
        code=SMS_RATE_LIMITED,
    )
    user = User.objects.filter(person__phone_index=index, is_active=True).first()
    if user is None:
        return
    code = texted_codes.issue(LoginCode, index, settings.ACCORD_OTP_TTL_SECONDS)
    minutes = settings.ACCORD_OTP_TTL_SECONDS // 60
    send_sms(
        phone,
        f"【福田区和谐劳动关系服务平台】您的登录验证码是 {code}，{minutes} 分钟内有效。"
        f"请勿告诉他人。Your login code is {code}.",
        sensitive=True,
    )


def login_with_code(phone: str, code: str) -> User:
    phone = clean_phone(phone)
    index = blind_index(phone, "phone")
    account = f"code-phone:{index}"
    ip = current_actor().ip
    _check_lockouts(account, ip)
    outcome = texted_codes.consume(LoginCode, index, code, settings.ACCORD_OTP_MAX_ATTEMPTS)
    if outcome is not texted_codes.Outcome.OK:
        _register_failure(account, ip)
        if outcome is texted_codes.Outcome.EXPIRED:
            raise CODE_EXPIRED("code")
        raise CODE_INVALID("code")
    ratelimit.clear_failures(f"{account}:{ip}")
    user = User.objects.get(person__phone_index=index)
    record_login(user, "sms")
    return user


# ---- API tokens for enterprise HR systems --------------------------------------------------

TOKEN_PREFIX = "acc_"  # noqa: S105 (a public marker, not a secret)


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(
    *, enterprise: Enterprise, name: str, created_by: User
) -> tuple[ApiToken, str]:
    """Returns the token and its plaintext, shown once; only the hash is kept."""
    if not name.strip():
        raise REQUIRED("name")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        enterprise=enterprise,
        name=name.strip()[:100],
        prefix=prefix,
        token_hash=_token_hash(secret),
        created_by=created_by,
    )
    audit.record("identity.api_token.create", token, enterprise_id=enterprise.pk, label=token.name)
    return token, f"{TOKEN_PREFIX}{prefix}_{secret}"


@transaction.atomic
def revoke_api_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(
            "identity.api_token.revoke", token, enterprise_id=token.enterprise_id, label=token.name
        )


@dataclass
class TokenPrincipal:
    """What an API token acts as: an HR user of exactly one enterprise."""

    token: ApiToken
    is_authenticated: bool = True
    is_superuser: bool = False
    person_id: int | None = None
    roles: set[str] = field(default_factory=lambda: {Role.HR})
    street_ids: set[int] = field(default_factory=set)
    organisation_ids: set[int] = field(default_factory=set)
    primary_role: str = Role.HR

    @property
    def pk(self) -> None:
        return None

    @property
    def enterprise_ids(self) -> set[int]:
        return {self.token.enterprise_id}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def get_username(self) -> str:
        return f"token:{self.token.prefix}"


def authenticate_token(raw: str) -> TokenPrincipal | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    token = (
        ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True)
        .select_related("enterprise")
        .first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, _token_hash(secret)):
        return None
    if token.last_used_at is None or timezone.now() - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return TokenPrincipal(token)


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator being enrolled on first login: unconfirmed until a code proves it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def confirm_enrolment(user: User, token: str) -> TOTPDevice:
    """A first login of a role that needs TOTP: a correct code confirms the new authenticator."""
    device = enrolment_device(user)
    _verify_device_token(user, device, token)
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        with acting_as(_as(user)):
            audit.record("auth.totp_enrolled", user)
    return device
