"""The flat-query-count helper (CONVENTIONS.md "Queries"; NetBox's ``query_counts`` is the model):
a list endpoint, page or API, runs the same number of queries for N rows as for 3N rows.

A test module declares each list endpoint with a row maker and lets the base generate one test
per endpoint:

    class TestListQueries(FlatQueryCounts):
        endpoints = [
            ListEndpoint("/api/v1/enterprises/{enterprise}/webhooks", add_webhooks),
        ]

        @classmethod
        def build_world(cls, world): ...

``rows(world, n)`` makes ``n`` more rows the endpoint lists to ``viewer`` and returns a text
for each (a name, a public id) that the response must contain: a row maker whose rows are not
listed would make any count flat. The response's shape is not looked at (list endpoints are
being given one shape; the counts hold whatever it is).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext

from tests.support.access import World, login

RowMaker = Callable[[World, int], list[str]]


@dataclass(frozen=True)
class ListEndpoint:
    """A list endpoint: ``url`` names world ids in braces; ``viewer`` is a world user or token
    name; ``n`` the smaller row count (the larger is ``3 * n``, within one page)."""

    url: str
    rows: RowMaker
    viewer: str = "owner"
    n: int = 3

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")

    @property
    def route(self) -> str:
        return re.sub(r"\{[^}]+\}", "{}", self.url.split("?")[0])

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.url.lower()).strip("_")


_REGISTRY: list[type[FlatQueryCounts]] = []


def declared_endpoints() -> list[ListEndpoint]:
    return [e for cls in _REGISTRY for e in cls.endpoints]


def count_queries(client: Client, url: str, **headers) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    if response.get("Content-Type", "").startswith("application/json"):
        # Unescaped, so that a row's Chinese name is found in the text as on a page.
        return len(ctx.captured_queries), json.dumps(response.json(), ensure_ascii=False)
    return len(ctx.captured_queries), response.content.decode()


class FlatQueryCounts(TestCase):
    """Subclass, set ``endpoints`` and write ``build_world`` (the viewers and the objects the
    URLs name); a test is generated for each endpoint."""

    endpoints: ClassVar[list[ListEndpoint]] = []
    world: ClassVar[World]

    @classmethod
    def build_world(cls, world: World) -> None:
        raise NotImplementedError

    @classmethod
    def setUpTestData(cls) -> None:
        world = World()
        cls.build_world(world)
        cls.world = world

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.endpoints:
            return
        _REGISTRY.append(cls)
        for i, endpoint in enumerate(cls.endpoints):
            name = f"test_{i:02d}_{endpoint.slug}_queries_stay_flat_from_n_to_3n_rows"

            def test(self, endpoint=endpoint):
                _assert_flat(self, endpoint)

            test.__name__ = name
            setattr(cls, name, test)


def _assert_flat(test: FlatQueryCounts, endpoint: ListEndpoint) -> None:
    world = test.world
    client, headers = Client(), {}
    if endpoint.viewer in world.tokens:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[endpoint.viewer]}"
    else:
        login(client, world.users[endpoint.viewer])
    first = endpoint.rows(world, endpoint.n)
    url = world.format(endpoint.url)
    # A first call warms what is done once (a token's last-used stamp, the session, caches).
    client.get(url, **headers)
    small, body = count_queries(client, url, **headers)
    more = endpoint.rows(world, 2 * endpoint.n)
    url = world.format(endpoint.url)  # a row maker may point an id at a bigger object
    large, body = count_queries(client, url, **headers)
    unseen = [marker for marker in first + more if marker not in body]
    test.assertFalse(unseen, f"{url}: rows made but not listed: {unseen[:5]}")
    test.assertEqual(
        large, small, f"{url}: {small} queries for {endpoint.n} rows, {large} for {3 * endpoint.n}"
    )
