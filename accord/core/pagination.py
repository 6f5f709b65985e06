"""Pagination shared by list pages and the API. Counts are capped so a list over millions of
rows answers quickly ("1,000+", twenty pages), as people rarely page that far: at district scale
counting a street officer's people to 10,000 took 0.8–8 s, to 1,000 a tenth of that. A page
beyond the cap still works, and its count reaches at least to the end of that page.

Every API list endpoint answers in one shape (docs/architecture.md, "API lists")::

    {"count": 1234, "count_capped": false, "page": 1, "page_size": 50, "has_next": true,
     "results": [...]}

A list endpoint declares ``page: int = 1, page_size: int = 50``, a response schema that extends
:class:`ListMeta` with ``results: list[ItemOut]``, and answers ``page_response(paginate(...),
render)``. ``paginate`` takes a queryset or, for the few lists computed in Python (a batch's
problems, the webhook topics), a sequence; ``filtered`` applies the list page's FilterSet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django_filters import FilterSet
from ninja import Schema

from accord.core.errors import INVALID_FILTER, INVALID_PAGE

COUNT_CAP = 1_000
MAX_PAGE_SIZE = 200


class ListMeta(Schema):
    """The fields every API list answer carries beside its ``results``."""

    count: int
    count_capped: bool
    page: int
    page_size: int
    has_next: bool


@dataclass
class Page:
    items: list
    number: int
    size: int
    count: int
    count_capped: bool

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.count or self.count_capped

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def paginate(
    qs: QuerySet | Sequence,
    page: int | str | None = 1,
    size: int | str | None = 50,
    max_size: int = MAX_PAGE_SIZE,
) -> Page:
    try:
        number = int(page or 1)
        per = int(size or 50)
    except (TypeError, ValueError):
        raise INVALID_PAGE(max_size=max_size) from None
    if number < 1 or per < 1 or per > max_size:
        raise INVALID_PAGE(max_size=max_size)
    cap = max(COUNT_CAP, number * per)
    if isinstance(qs, QuerySet):
        count = qs.order_by()[: cap + 1].count()
    else:
        count = len(qs)
    items = list(qs[(number - 1) * per : number * per])
    return Page(items, number, per, min(count, cap), count > cap)


def filtered(filterset_class: type[FilterSet], params: Mapping, queryset: QuerySet) -> QuerySet:
    """``queryset`` narrowed by the list page's FilterSet from request parameters; a bad value
    is 422 ``core.invalid_filter`` naming its field (the page shows the same form error)."""
    fs = filterset_class(params, queryset=queryset)
    if not fs.is_valid():
        raise INVALID_FILTER(next(iter(fs.errors)))
    return fs.qs


def page_response(page: Page, render: Callable[[Any], Any]) -> dict:
    """The one answer of an API list endpoint: :class:`ListMeta` and the rendered ``results``."""
    return {
        "count": page.count,
        "count_capped": page.count_capped,
        "page": page.number,
        "page_size": page.size,
        "has_next": page.has_next,
        "results": [render(item) for item in page.items],
    }
