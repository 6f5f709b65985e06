"""Staff accounts: administrators create them with a role and its scope, deactivate them, and
reset a lost authenticator. Every change is audited."""

from __future__ import annotations

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.core import audit
from accord.identity.errors import (
    ENTERPRISE_UNKNOWN,
    ORGANISATION_UNKNOWN,
    PASSWORD_WEAK,
    ROLE_UNKNOWN,
    STREET_UNKNOWN,
    USERNAME_INVALID,
    USERNAME_TAKEN,
)
from accord.identity.models import Enterprise, Membership, Organisation, Role, Street, User

STAFF_ROLES = [r for r in Role.values if r != Role.WORKER]


def _scope(role: str, enterprise: str, street: str, organisation: str) -> dict:
    if role == Role.HR:
        found = Enterprise.objects.filter(uscc=enterprise.strip().upper()).first()
        if found is None:
            raise ENTERPRISE_UNKNOWN("enterprise")
        return {"enterprise": found}
    if role == Role.STREET_OFFICER:
        found_street = Street.objects.filter(code=street).first()
        if found_street is None:
            raise STREET_UNKNOWN("street")
        return {"street": found_street}
    if role == Role.MEDIATOR:
        found_org = Organisation.objects.filter(name=organisation.strip()).first()
        if found_org is None:
            raise ORGANISATION_UNKNOWN("organisation")
        return {"organisation": found_org}
    return {}


@transaction.atomic
def create_staff(
    *,
    username: str,
    role: str,
    full_name: str = "",
    enterprise: str = "",
    street: str = "",
    organisation: str = "",
    password: str | None = None,
) -> tuple[User, str]:
    """A new staff account with one membership; returns the account and its initial password."""
    username = (username or "").strip()
    if (
        not username
        or len(username) > 150
        or not username.replace("-", "").replace("_", "").isalnum()
    ):
        raise USERNAME_INVALID("username")
    if role not in STAFF_ROLES:
        raise ROLE_UNKNOWN("role")
    if User.objects.filter(username__iexact=username).exists():
        raise USERNAME_TAKEN("username")
    scope = _scope(role, enterprise, street, organisation)
    password = password or secrets.token_urlsafe(12)
    try:
        validate_password(password)
    except ValidationError as exc:
        raise PASSWORD_WEAK(
            "password", reasons_zh="；".join(exc.messages), reasons_en=" ".join(exc.messages)
        ) from None
    user = User.objects.create_user(
        username=username,
        password=password,
        first_name=full_name.strip()[:150],
        is_superuser=role == Role.ADMIN,
        is_staff=role == Role.ADMIN,
    )
    membership = Membership.objects.create(user=user, role=role, **scope)
    audit.record(
        "identity.staff.create",
        user,
        label=username,
        enterprise_id=getattr(membership, "enterprise_id", None),
        changes={"role": [None, role], "scope": [None, str(next(iter(scope.values()), ""))]},
    )
    return user, password


@transaction.atomic
def set_active(user: User, active: bool) -> None:
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.record(
            "identity.staff.activate" if active else "identity.staff.deactivate",
            user,
            changes={"is_active": [not active, active]},
        )


@transaction.atomic
def reset_authenticator(user: User) -> None:
    """A lost phone: the next login enrols a new authenticator."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    audit.record("identity.staff.reset_totp", user, changes={"devices_removed": [None, removed]})
