"""Browser security (issue #13): a Content-Security-Policy without inline scripts on every page,
HSTS and secure cookies in production, the API docs from our own static files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import accord

pytestmark = pytest.mark.django_db
TEMPLATES = sorted(Path(accord.__file__).parent.glob("*/templates/**/*.html"))


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def test_every_page_has_a_policy_that_allows_no_inline_script(client):
    for url in ("/", "/login", "/verify", "/api/v1/docs"):
        policy = _policy(client.get(url))
        # 'self', and the response's nonce when the page holds a script of its own.
        assert policy["script-src"][0] == "'self'"
        assert all(source.startswith("'nonce-") for source in policy["script-src"][1:])
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]


def test_a_page_script_carries_the_nonce_of_its_response(make_user, login_as):
    client = login_as(make_user("bureau_officer"))
    page = client.get("/enterprises/")
    nonce = _policy(page)["script-src"][1][len("'nonce-") : -1]
    assert f'<script nonce="{nonce}">'.encode() in page.content


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p).split("accord/")[-1])
def test_no_template_has_an_inline_handler_or_a_script_without_nonce(template):
    text = template.read_text(encoding="utf-8")
    assert not re.search(r"\son[a-z]+\s*=\s*[\"']", text), "inline event handler"
    assert "hx-on" not in text and "javascript:" not in text
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or "nonce=" in tag or 'type="application/json"' in tag, tag


def test_the_api_docs_load_nothing_from_another_origin(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


def test_production_sends_hsts_redirects_to_https_and_secures_cookies(tmp_path):
    env = {
        # A clean environment: what earlier tests or the test runner set must not leak in.
        **{k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ},
        "ACCORD_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "SECRET_KEY": "x" * 50,
        "ACCORD_DATA_KEYS": "k1:" + "A" * 43 + "=",
        "ACCORD_INDEX_KEY": "A" * 43 + "=",
        "ACCORD_VAR_DIR": str(tmp_path),
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.DEBUG)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    hsts, subdomains, redirect, *cookies, debug = proc.stdout.split()
    assert int(hsts) >= 365 * 86400 and subdomains == "True" and redirect == "True"
    assert cookies == ["True", "True", "True"] and debug == "False"


def _production_check(tmp_path, **extra) -> subprocess.CompletedProcess:
    env = {
        # A clean environment: what earlier tests or the test runner set must not leak in.
        **{k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ},
        "ACCORD_ENV": "production",
        "SECRET_KEY": "x" * 60 + "-Zq9!",
        "ACCORD_DATA_KEYS": "k1:" + "A" * 43 + "=",
        "ACCORD_INDEX_KEY": "A" * 43 + "=",
        "ACCORD_VAR_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "accord.example.org",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "accord", "check", "--deploy", "--fail-level", "ERROR"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_fails_on_an_unsafe_production_configuration(tmp_path):
    unsafe = _production_check(tmp_path, ACCORD_DEBUG="1", ACCORD_SSL_REDIRECT="0")
    assert unsafe.returncode != 0
    assert "accord.E001" in unsafe.stderr and "accord.E003" in unsafe.stderr
    safe = _production_check(tmp_path)
    assert safe.returncode == 0, safe.stderr
