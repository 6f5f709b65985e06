"""Shared fixtures: people, enterprises and users of every role, and logged-in clients."""

from __future__ import annotations

import importlib

import pytest
from django.core.cache import cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.identity.models import User
from tests.support import factories
from tests.support.ids import make_uscc, resident_id

__all__ = ["login", "make_uscc", "resident_id"]  # imported by test modules from here

# Data migrations that load reference data: streets, industries, minimum wages, templates.
REFERENCE_DATA_MIGRATIONS = [
    "accord.identity.migrations.0002_reference_data",
    "accord.contracts.migrations.0002_shenzhen_minimum_wage",
    "accord.contracts.migrations.0006_shenzhen_minimum_wage_sources",
    "accord.contracts.migrations.0004_shipped_templates",
]


def _uses_transactional_db(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database lets Django flush the append-only tables between transactional tests:
    TRUNCATE of those is refused unless a session allows it (core.dbtriggers)."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            name = connection.settings_dict["NAME"]
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER DATABASE \"{name}\" SET accord.allow_truncate = 'on'")
                cursor.execute("SET accord.allow_truncate = 'on'")


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


@pytest.fixture
def make_enterprise(db):
    """``make_enterprise(name=…, street=…, industry=…)``: ``factories.EnterpriseFactory``."""

    def make(name: str | None = None, street: str = "futian", industry: str = "65", **kw):
        if name is not None:
            kw["name"] = name
        return factories.EnterpriseFactory(street=street, industry=industry, **kw)

    return make


@pytest.fixture
def make_person(db):
    """``make_person(name=…, phone=…)``: ``factories.PersonFactory``."""

    def make(name: str = "李四", phone: str | None = None, **kw):
        if phone is not None:
            kw["phone"] = phone
        return factories.PersonFactory(name=name, **kw)

    return make


@pytest.fixture
def make_user(db):
    """``make_user(role, enterprise=…, street=…, organisation=…, person=…, totp=…)``:
    ``factories.UserFactory``."""

    def make(
        role: str,
        *,
        enterprise=None,
        street: str | None = None,
        organisation=None,
        person=None,
        totp: bool = True,
    ) -> User:
        return factories.UserFactory(
            role=role,
            enterprise=enterprise,
            street=street,
            organisation=organisation,
            person=person,
            totp=totp,
        )

    return make


@pytest.fixture
def organisation(db):
    return factories.OrganisationFactory(name="测试调解委员会")


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
