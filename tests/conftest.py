"""Shared fixtures: people, enterprises and users of every role, and logged-in clients."""

from __future__ import annotations

import importlib
import itertools

import pytest
from django.core.cache import cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.cn import ric, uscc

from accord.identity import services
from accord.identity.models import Membership, Organisation, Role, Street, User

_serial = itertools.count(1)


# Data migrations that load reference data: streets, industries, minimum wages, templates.
REFERENCE_DATA_MIGRATIONS = [
    "accord.identity.migrations.0002_reference_data",
    "accord.contracts.migrations.0002_shenzhen_minimum_wage",
    "accord.contracts.migrations.0004_shipped_templates",
]


def _uses_transactional_db(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _reference_data(request):
    """A transactional test starts from a flushed database: reload what migrations loaded.

    (Ordinary tests run inside a transaction on the migrated database and need nothing.)
    """
    if _uses_transactional_db(request):
        request.getfixturevalue("transactional_db")
        from django.apps import apps

        for name in REFERENCE_DATA_MIGRATIONS:
            importlib.import_module(name).load(apps, None)
        from django.db import connection

        from accord.envelopes import retention

        retention.install_guard(connection)  # idempotent; the flush may have run without it
    yield
    if _uses_transactional_db(request):
        from django.db import connection

        if connection.vendor == "sqlite":
            from accord.envelopes import retention

            # SQLite's flush is DELETE FROM, which the LCL Art. 50 guard rightly refuses.
            retention.remove_guard(connection)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def resident_id(n: int, birth: str = "19900101", area: str = "440304") -> str:
    body = f"{area}{birth}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_uscc(n: int) -> str:
    # registration dept 9, type 1, region 440304, a 9-character organisation code, check digit.
    body = f"91440304{n:09d}"[:17]
    return body + uscc.calc_check_digit(body)


@pytest.fixture
def make_enterprise(db):
    def make(name: str | None = None, street: str = "futian", industry: str = "65", **kw):
        n = next(_serial)
        return services.create_enterprise(
            name=name or f"测试企业{n}有限公司",
            uscc=make_uscc(n * 7919),
            legal_representative="王五",
            address=f"福田区测试路{n}号",
            street=street,
            industry=industry,
            **kw,
        )

    return make


@pytest.fixture
def make_person(db):
    def make(name: str = "李四", phone: str | None = None, **kw):
        n = next(_serial)
        return services.create_person(
            name=name, id_number=resident_id(n), phone=phone or f"139{n:08d}", **kw
        )

    return make


@pytest.fixture
def make_user(db, make_person):
    def make(
        role: str,
        *,
        enterprise=None,
        street: str | None = None,
        organisation=None,
        person=None,
        totp: bool = True,
    ) -> User:
        n = next(_serial)
        user = User.objects.create_user(username=f"{role}{n}", password="Correct-horse-42")
        if role == Role.WORKER:
            user.person = person or make_person(name=f"工人{n}")
            user.save()
        else:
            street_obj = Street.objects.get(code=street) if street else None
            Membership.objects.create(
                user=user,
                role=role,
                enterprise=enterprise,
                street=street_obj,
                organisation=organisation,
            )
            if totp:
                TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return User.objects.get(pk=user.pk)

    return make


@pytest.fixture
def organisation(db):
    return Organisation.objects.create(name="测试调解委员会", kind="social")


def login(client, user) -> None:
    """Log a user in as the login page would, TOTP step included for the roles that need it."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture
def login_as(client):
    def do(user):
        login(client, user)
        return client

    return do
