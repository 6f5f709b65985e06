"""Prometheus metrics at ``/metrics`` (issue #13), with the official client (prometheus-client).

* ``accord_http_requests_total`` and ``accord_http_request_duration_seconds``: every request by
  method, the URL pattern's name (never the raw path: no ids, bounded labels) and status class;
* ``accord_audit_events_total{action}``: every audited action — signings and seals, sends,
  ``auth.login_failed``, ``auth.totp_failed`` and the lock-outs —, counted where the audit entry
  is written, so the rate of each is ``rate(accord_audit_events_total{action="…"}[5m])``;
* gauges read at scrape time: the task queue's depth by state (the database backend), and what
  the apps above register with ``register_gauge`` (the ledger's size).

Several gunicorn workers: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory per host (the
client's multiprocess mode, docs/operations.md); the scrape then sums the workers' files.
``/metrics`` answers only loopback clients or a bearer ``ACCORD_METRICS_TOKEN``; it holds no
personal data.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import REGISTRY, GaugeMetricFamily, Metric

REQUESTS = Counter("accord_http_requests", "HTTP requests answered", ["method", "view", "status"])
LATENCY = Histogram(
    "accord_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10, 30),
)
AUDIT_EVENTS = Counter("accord_audit_events", "Audited actions", ["action"])

_gauges: dict[str, tuple[str, Callable[[], float]]] = {}


def register_gauge(name: str, documentation: str, read: Callable[[], float]) -> None:
    """A gauge read at each scrape (an app above core says how big it is)."""
    _gauges[name] = (documentation, read)


def count_audit(action: str) -> None:
    AUDIT_EVENTS.labels(action=action).inc()


class _ScrapeTimeGauges:
    def describe(self) -> list[Metric]:
        return []  # read only at scrape time, once the apps are loaded

    def collect(self) -> list[Metric]:
        from django_tasks_db.models import DBTaskResult

        queue = GaugeMetricFamily(
            "accord_task_queue", "Tasks in the database queue by state", labels=["status"]
        )
        try:
            for status in ("READY", "RUNNING", "FAILED"):
                queue.add_metric(
                    [status.lower()], DBTaskResult.objects.filter(status=status).count()
                )
        except Exception:
            return []
        families: list[Metric] = [queue]
        for name, (documentation, read) in _gauges.items():
            family = GaugeMetricFamily(name, documentation)
            family.add_metric([], float(read()))
            families.append(family)
        return families


REGISTRY.register(_ScrapeTimeGauges())


class MetricsMiddleware:
    """Counts and times every request (first in the chain, so it sees every answer)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unmatched"
        LATENCY.labels(view=view).observe(time.perf_counter() - started)
        REQUESTS.labels(
            method=request.method if request.method in _METHODS else "other",
            view=view,
            status=f"{response.status_code // 100}xx",
        ).inc()
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "ACCORD_METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given, token):
        return True
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_ScrapeTimeGauges())
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
