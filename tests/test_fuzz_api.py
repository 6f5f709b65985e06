"""Schemathesis over /api/v1/openapi.json as anonymous, an enterprise's API token and a bureau
session (issue #13): zero server errors, every status documented, every answer in its schema.

Bounded for ``make test`` (``ACCORD_FUZZ_EXAMPLES`` examples per operation and identity, 4 by
default); ``make fuzz`` runs the same with many more. Failures of every operation are gathered
and reported together, each with the curl command that reproduces it.
"""

from __future__ import annotations

import functools
import os
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import checks as st_checks

from tests.support import factories

EXAMPLES = int(os.environ.get("ACCORD_FUZZ_EXAMPLES", "4"))


@functools.cache
def _schema():
    """Loaded on first use, inside a test (importing this module touches no database)."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_test_transaction():
    """Django's test client keeps the test's transaction open across requests; a bare WSGI
    call would close the connection at the end of each request. Do as the test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _session_headers(user) -> tuple[dict[str, str], dict[str, str]]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    csrf = _get_new_csrf_string()
    return {"X-CSRFToken": csrf, "Referer": "http://testserver/"}, {
        "sessionid": session.session_key,
        "csrftoken": csrf,
    }


def _identity(who: str) -> tuple[dict[str, str], dict[str, str]]:
    """The headers and cookies of ``who``."""
    if who == "anonymous":
        return {}, {}
    if who == "token":
        token = factories.ApiTokenFactory()
        factories.EmploymentFactory(enterprise=token.enterprise)
        return {"Authorization": f"Bearer {token.plaintext}"}, {}
    factories.EnterpriseFactory()
    return _session_headers(factories.UserFactory(role="bureau_officer"))


def _fuzz_operation(operation, who: tuple, failures: list[str], statuses: Counter) -> None:
    headers, cookies = who

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=headers, cookies=cookies)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except AssertionError as failure:
            failures.append(f"{operation.label}: {str(failure)[:600]}\n  {case.as_curl_command()}")

    run()


@pytest.mark.parametrize("who", ["anonymous", "token", "bureau"])
def test_the_api_answers_every_fuzzed_request_without_a_server_error(who, in_test_transaction):
    identity = _identity(who)
    failures: list[str] = []
    statuses: Counter = Counter()
    operations = [result.ok() for result in _schema().get_all_operations()]
    for operation in operations:
        _fuzz_operation(operation, identity, failures, statuses)
    print(who, dict(statuses))
    # The fuzzer reached the handlers, not only the gates in front of them.
    assert sum(statuses.values()) >= len(operations) * EXAMPLES // 2
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
