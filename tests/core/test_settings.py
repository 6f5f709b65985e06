"""Settings come from the environment; production refuses to start without its secrets."""

import os
import subprocess
import sys


def _run(env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ACCORD_DATA_KEYS", "ACCORD_INDEX_KEY", "PYTEST_VERSION"}
    }
    env.update({"ACCORD_VAR_DIR": str(tmp_path), **env_extra})
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    proc = _run({"ACCORD_ENV": "production", "DJANGO_SETTINGS_MODULE": "accord.settings"}, tmp_path)
    assert proc.returncode != 0
    assert "SECRET_KEY must be set in production" in proc.stderr
    assert not (tmp_path / "secret_key").exists()


def test_development_generates_its_secrets_once_into_var(tmp_path):
    env = {"ACCORD_ENV": "development", "DJANGO_SETTINGS_MODULE": "accord.settings"}
    assert _run(env, tmp_path).returncode == 0
    first = (tmp_path / "secret_key").read_text()
    assert _run(env, tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_production_logs_json_lines(tmp_path):
    env = {
        "ACCORD_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "SECRET_KEY": "x" * 50,
        "ACCORD_DATA_KEYS": "k1:" + "A" * 43 + "=",
        "ACCORD_INDEX_KEY": "A" * 43 + "=",
    }
    code = (
        "import django, logging; django.setup(); logging.getLogger('accord.test').warning('hello')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env, "ACCORD_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    import json

    line = json.loads(proc.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello" and line["level"] == "WARNING"
