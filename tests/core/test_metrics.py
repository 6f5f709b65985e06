"""Prometheus metrics at /metrics (issue #13): requests and latencies by view, audited actions
(failed logins, signings), queue depth and the ledger's size; only for loopback or a token."""

from __future__ import annotations

import re

import pytest

from accord.core import audit

pytestmark = pytest.mark.django_db


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_failed_logins_and_show_queue_and_ledger(client):
    before = client.get("/metrics").content.decode()
    client.get("/verify")
    client.post("/login", {"username": "nobody", "password": "wrong-password-1"})
    after = client.get("/metrics")
    assert after.status_code == 200 and after["Content-Type"].startswith("text/plain")
    text = after.content.decode()
    assert _value(text, "accord_http_requests_total", view="verify", status="2xx") == (
        _value(before, "accord_http_requests_total", view="verify", status="2xx") + 1
    )
    assert 'accord_http_request_duration_seconds_bucket{le="0.3",view="verify"}' in text
    failed = [a for a in re.findall(r'action="(auth\.[a-z_]+)"', text) if "fail" in a]
    assert failed, "a failed login is counted"
    assert 'accord_task_queue{status="ready"}' in text
    assert re.search(r"^accord_ledger_entries \d", text, re.M)


def test_audited_actions_are_counted_where_they_are_written(client):
    audit.record("testing.thing_done", object_type="thing", object_id="1")
    text = client.get("/metrics").content.decode()
    assert _value(text, "accord_audit_events_total", action="testing.thing_done") >= 1


def test_metrics_are_hidden_from_other_machines_unless_they_hold_the_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 404
    settings.ACCORD_METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 404
    allowed = client.get(
        "/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    assert allowed.status_code == 200
