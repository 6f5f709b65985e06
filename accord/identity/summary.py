"""The figures on the bureau's home page: enterprises by street, enterprises and people in view.

At district scale (300,000 enterprises, 2.2 million people) they are full-table counts that took
0.3–0.8 s on every view of the home page, so they are kept in the cache for ``SUMMARY_TTL``
seconds, one entry per scope (everything for the bureau; a street officer's own streets): a
figure on the home page may be up to that old. Lists and searches always count afresh.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count

from accord.core.roles import BUREAU_READS
from accord.core.scoping import scoped
from accord.identity.models import Enterprise, Person

SUMMARY_TTL = 300


def _scope_key(user) -> str:
    if user.has_role(*BUREAU_READS):
        return "identity.summary:all"
    enterprises = ",".join(str(pk) for pk in sorted(user.enterprise_ids))
    streets = ",".join(str(pk) for pk in sorted(user.street_ids))
    return f"identity.summary:e{enterprises}:s{streets}:p{getattr(user, 'person_id', None) or ''}"


def _compute(user) -> dict:
    enterprises = scoped(Enterprise, user)
    by_street = list(
        enterprises.values("street__name_zh", "street__name_en")
        .annotate(n=Count("id", distinct=True))
        .order_by("street_id")
    )
    return {
        "by_street": [(r["street__name_zh"], r["street__name_en"], r["n"]) for r in by_street],
        "enterprise_count": sum(r["n"] for r in by_street),
        "person_count": scoped(Person, user).count(),
    }


def bureau_summary(user, language: str = "zh-hans") -> dict:
    """``street_chart`` (labels in ``language``, values), ``enterprise_count``, ``person_count``
    of what ``user`` may see; cached for ``SUMMARY_TTL`` seconds."""
    key = _scope_key(user)
    figures = cache.get(key)
    if figures is None:
        figures = _compute(user)
        cache.set(key, figures, SUMMARY_TTL)
    return {
        "street_chart": {
            "labels": [en if language == "en" else zh for zh, en, _n in figures["by_street"]],
            "values": [n for _zh, _en, n in figures["by_street"]],
        },
        "enterprise_count": figures["enterprise_count"],
        "person_count": figures["person_count"],
    }
