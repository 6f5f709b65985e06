"""Pagination shared by list pages and the API. Counts are capped so a list over millions of
rows answers quickly ("10,000+"), as people rarely page that far."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accord.core.errors import InvalidInput

COUNT_CAP = 10_000
MAX_PAGE_SIZE = 200


@dataclass
class Page:
    items: list
    number: int
    size: int
    count: int
    count_capped: bool

    @property
    def has_next(self) -> bool:
        return self.number * self.size < self.count

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def paginate(qs: QuerySet, page: int | str | None = 1, size: int | str | None = 50) -> Page:
    try:
        number = int(page or 1)
        per = int(size or 50)
    except (TypeError, ValueError):
        raise InvalidInput(
            "core.invalid_page", "页码无效。", "Invalid page number.", "page"
        ) from None
    if number < 1 or per < 1 or per > MAX_PAGE_SIZE:
        raise InvalidInput(
            "core.invalid_page",
            f"页码须 ≥ 1，每页 1–{MAX_PAGE_SIZE} 条。",
            f"Page must be ≥ 1 and page size 1–{MAX_PAGE_SIZE}.",
            "page",
        )
    count = qs.order_by()[: COUNT_CAP + 1].count()
    items = list(qs[(number - 1) * per : number * per])
    return Page(items, number, per, min(count, COUNT_CAP), count > COUNT_CAP)
