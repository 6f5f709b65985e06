"""The access-matrix base: every object URL, page or API, tried by every outsider, answers 404
(never 403, which would leak that the object exists), changes nothing in the database and leaves
no read of personal data in the audit log; the owner gets the declared answer (a control that
the URL and its body are right).

A test module declares the URLs and builds the world — the owner's objects — and nothing else;
the outsiders come from ONE list (``OUTSIDERS``), made the same way for every declaration:

    class TestSealAccess(AccessMatrix):
        urls = [
            ObjectUrl("get", "/seals/{seal}/", owner="manager"),
            ObjectUrl("post", "/api/v1/seals/{seal}/grants", {"user": "{newcomer}"}, 201),
        ]

        @classmethod
        def build_world(cls, world):
            seal = SealFactory(enterprise=world.enterprise, manager=world.users["manager"])
            world.add("seal", seal)

A test method is generated for each URL × outsider (``test_03_get_seals_seal__hr_other``), for
the owner (``…__owner``) and for an anonymous caller (``…__anonymous``: 401 from the API, a
redirect to a login page from a page). A hole found and left to another change is marked on
its one case: ``ObjectUrl(..., holes={"worker_other": "hole: … fixed in <file> at merge"})``
makes that case ``xfail(strict=True)``, so the fix turns it red until the mark is removed.

Every declaration registers itself; ``declared_urls()`` is what the completeness test checks
against the URL resolver and the OpenAPI schema (tests/test_access_matrix.py).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client, TestCase, override_settings

from accord.core.models import AuditEntry
from accord.identity.models import Role, User
from tests.support import factories

# The outsiders, one list for every declaration. Each is someone who must not learn that the
# owner's object exists: HR of another enterprise (in another street), a worker of that
# enterprise, the officer of another street, a mediator, and that enterprise's API token.
OUTSIDERS = ["hr_other", "worker_other", "street_other", "mediator", "token_other"]
OUTSIDER_STREET = "huaqiangbei"
OWNER_STREET = "futian"

# Reading personal data in full is audited under these actions (DESIGN.md "Who may see what").
PERSONAL_DATA_READS = ["identity.person.view_personal_data"]

LOGIN_PAGES = ("/login", "/login/phone")
# Certificates made for the world name a closed port for OCSP and CRLs: a look-up fails fast.
CLOSED_PORT = "http://127.0.0.1:9"


@dataclass(frozen=True)
class ObjectUrl:
    """One object URL and how to call it.

    ``template`` names world ids in braces (``/envelopes/{envelope}/send``); ``body`` values are
    formatted the same way (a ``bytes`` value is sent as a file upload, a callable is called
    with the world). ``owner`` is the world
    user who owns the object and gets ``owner_status`` (an int or a tuple of accepted ints;
    ``None`` skips the owner control, to be justified in a comment)."""

    method: str
    template: str
    body: dict | None = None
    owner_status: int | tuple[int, ...] | None = 200
    owner: str = "owner"
    holes: dict[str, str] = field(default_factory=dict)
    # Callers who may see the object in the path (their own employer, their street's
    # enterprise) but not act on it: a refusal (403) leaks nothing to them; 404 is fine too.
    may_see: tuple[str, ...] = ()

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")

    @property
    def route(self) -> str:
        """The path with every ``{name}`` as ``{}`` and no query string: what the completeness
        test compares with the resolver's and the schema's paths."""
        return re.sub(r"\{[^}]+\}", "{}", self.template.split("?")[0])

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", f"{self.method} {self.template}".lower()).strip("_")

    def names_another_object_of_the_enterprise(self, shared: tuple[str, ...] = ()) -> bool:
        """``/enterprises/{enterprise}/…/{export}``, or a body naming ``{person}``: an outsider
        may put their own enterprise in the path, which they may see, and name the owner's
        object after it or in the body (issue 10: "a person, template, seal or employment of
        another enterprise named in any request is a 404, never accepted")."""
        texts = [self.template, repr(self.body or {})]
        names = {n for t in texts for n in re.findall(r"\{([a-z_]+)\}", t)}
        names -= {*shared, "worker_of_enterprise"}
        return "enterprise" in names and len(names) > 1


class World:
    """The objects a declaration's URLs are about, their ids, and who is who."""

    def __init__(self) -> None:
        self.ids: dict[str, Any] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}  # name -> plaintext, for Authorization: Bearer
        self.objects: list[models.Model] = []  # snapshotted: must not change under an outsider
        self.named: dict[str, models.Model] = {}  # the objects by the names the URLs use
        self.enterprise = None

    def add(self, name: str, obj: Any, key: str = "public_id") -> Any:
        """Name ``obj`` for the URL templates (by its public id) and watch it for changes."""
        if isinstance(obj, models.Model):
            self.ids[name] = getattr(obj, key)
            self.objects.append(obj)
            self.named[name] = obj
        else:
            self.ids[name] = obj
        return obj

    def format(self, value: Any) -> Any:
        """A template string with world ids filled in; a callable is called with the world
        (for a value made at call time, such as a fresh one-time code)."""
        if callable(value):
            return value(self)
        if isinstance(value, list):
            return [self.format(v) for v in value]
        if isinstance(value, dict):
            return {k: self.format(v) for k, v in value.items()}
        return value.format(**self.ids) if isinstance(value, str) else value


def _outsiders(world: World) -> None:
    theirs = factories.EnterpriseFactory(street=OUTSIDER_STREET, name="他企业有限公司")
    their_worker = factories.EmploymentFactory(
        enterprise=theirs, person=factories.PersonFactory(name="他企业员工")
    ).person
    hr_other = factories.UserFactory(role=Role.HR, enterprise=theirs, totp=False)
    world.users.update(
        {
            "hr_other": hr_other,
            "worker_other": factories.UserFactory(role=Role.WORKER, person=their_worker),
            "street_other": factories.UserFactory(role=Role.STREET_OFFICER, street=OUTSIDER_STREET),
            "mediator": factories.UserFactory(
                role=Role.MEDIATOR, organisation=factories.OrganisationFactory()
            ),
        }
    )
    world.tokens["token_other"] = factories.ApiTokenFactory(
        enterprise=theirs, created_by=hr_other
    ).plaintext
    world.ids["their_enterprise"] = theirs.public_id
    world.ids["their_worker_of_enterprise"] = their_worker.public_id


def _worker_mine(world: World) -> User:
    """A worker of the owner's enterprise who is no party to the owner's objects."""
    person = factories.EmploymentFactory(
        enterprise=world.enterprise, person=factories.PersonFactory(name="本企业另一员工")
    ).person
    return factories.UserFactory(role=Role.WORKER, person=person)


def _street_mine(world: World) -> User:
    """The officer of the owner's own street: sees the street's enterprises, not their HR's
    objects."""
    return factories.UserFactory(role=Role.STREET_OFFICER, street=world.enterprise.street.code)


# Outsiders a declaration may add by name (``more_outsiders``), made the same way everywhere.
MORE_OUTSIDERS = {"worker_mine": _worker_mine, "street_mine": _street_mine}


def _accord_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if m.__module__.startswith("accord.") and m._meta.managed and not m._meta.proxy
    ]


def snapshot(world: World) -> dict:
    """Row counts of every Accord table, and every field of every world object."""
    state: dict[str, Any] = {m._meta.label: m._default_manager.count() for m in _accord_models()}
    for obj in world.objects:
        state[f"{obj._meta.label}#{obj.pk}"] = (
            type(obj)._default_manager.filter(pk=obj.pk).values().first()
        )
    return state


def personal_data_reads() -> int:
    return AuditEntry.objects.filter(action__in=PERSONAL_DATA_READS).count()


@functools.cache
def api_operations() -> dict[tuple[str, str], dict]:
    """Every operation of the public API: (METHOD, route with ``{}``) -> its OpenAPI object."""
    import accord.urls  # noqa: F401 - the routers are added to the API object there
    from accord.core.api import api

    operations = {}
    for path, ops in api.get_openapi_schema()["paths"].items():
        for method, op in ops.items():
            operations[(method.upper(), re.sub(r"\{[^}]+\}", "{}", path))] = op
    return operations


def accepts_tokens(url: ObjectUrl) -> bool:
    """Whether the API operation takes an enterprise's token at all (some are session-only:
    managing tokens, for one). A session-only operation answers a token 401, as to anyone
    unauthenticated — no more a leak than the anonymous answer."""
    op = api_operations().get((url.method.upper(), url.route))
    if op is None:
        return True  # an undeclared operation: the owner control fails on it anyway
    return any("TokenAuth" in s for s in op.get("security", [{"TokenAuth": []}]))


def call(client: Client, url: ObjectUrl, world: World, **headers) -> Any:
    path = world.format(url.template)
    method = getattr(client, url.method)
    if url.body is None:
        return method(path, **headers)
    body = {k: world.format(v) for k, v in url.body.items()}
    if any(isinstance(v, bytes) for v in body.values()):
        body = {
            k: SimpleUploadedFile("upload.xlsx", v) if isinstance(v, bytes) else v
            for k, v in body.items()
        }
        return method(path, body, **headers)
    if url.is_api:
        return method(path, body, content_type="application/json", **headers)
    if url.method in ("post",):
        return method(path, body, **headers)
    return method(path, body, content_type="application/x-www-form-urlencoded", **headers)


def login(client: Client, user: User) -> Client:
    from tests.conftest import login as session_login

    session_login(client, user)
    return client


def new_world(build_world, more_outsiders: tuple[str, ...] = ()) -> World:
    """The owner's enterprise (street futian) and HR user, the enterprise's API token, the
    common outsiders and any ``more_outsiders``, then what ``build_world(world)`` adds."""
    world = World()
    world.enterprise = factories.EnterpriseFactory(street=OWNER_STREET)
    world.add("enterprise", world.enterprise)
    world.users["owner"] = factories.UserFactory(role=Role.HR, enterprise=world.enterprise)
    world.tokens["owner_token"] = factories.ApiTokenFactory(
        enterprise=world.enterprise, created_by=world.users["owner"]
    ).plaintext
    _outsiders(world)
    with override_settings(ACCORD_SIGNING_BASE_URL=CLOSED_PORT):
        build_world(world)
    for name in more_outsiders:
        if name not in world.users and name in MORE_OUTSIDERS:
            world.users[name] = MORE_OUTSIDERS[name](world)
    missing = set(more_outsiders) - set(world.users)
    assert not missing, f"build_world made no user for {missing}"
    return world


_REGISTRY: list[type[AccessMatrix]] = []


def declared_urls() -> list[ObjectUrl]:
    """Every URL declared by an access matrix imported so far."""
    return [u for cls in _REGISTRY for u in cls.urls]


class AccessMatrix(TestCase):
    """Subclass, set ``urls`` and write ``build_world``; the tests are generated.

    ``more_outsiders`` names callers particular to these objects, beyond the common list (the
    same street's officer, a worker of the owner's enterprise), made by ``build_world`` into
    ``world.users``. With ``owner_token = True`` the owner enterprise's API token must get the
    owner's answer too on every API URL that takes tokens (``…__owner_token``). ``shared``
    names world ids that are not the owner's (a template the platform ships to everyone).

    A URL that names the enterprise and another of its objects is also tried by the other
    enterprise's HR and token with *their* enterprise in the path (``…_via_own_enterprise``)."""

    urls: ClassVar[list[ObjectUrl]] = []
    more_outsiders: ClassVar[tuple[str, ...]] = ()
    owner_token: ClassVar[bool] = False
    shared: ClassVar[tuple[str, ...]] = ()
    world: ClassVar[World]

    @classmethod
    def build_world(cls, world: World) -> None:
        """Make the owner's objects in ``world.enterprise`` (street futian) and ``world.add``
        each one a URL names; add more owner users to ``world.users`` if a URL needs them."""
        raise NotImplementedError

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = new_world(cls.build_world, cls.more_outsiders)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.urls:
            return
        _REGISTRY.append(cls)
        for i, url in enumerate(cls.urls):
            assert url.owner_status != 404, f"{url.template}: the owner control must not be 404"
            known = {*OUTSIDERS, *cls.more_outsiders, "anonymous", "owner"}
            known |= {f"{w}_via_own_enterprise" for w in OUTSIDERS}
            unknown = set(url.holes) - known
            assert not unknown, f"{url.template}: holes for unknown callers {unknown}"
            name = f"test_{i:02d}_{url.slug}"
            for who in (*OUTSIDERS, *cls.more_outsiders):
                if who.startswith("token") and not url.is_api:
                    continue  # pages take no token: the header is ignored, it is anonymous
                cls._add(f"{name}__{who}", url, who, _outsider_case)
            if url.names_another_object_of_the_enterprise(cls.shared):
                for who in ("hr_other", "token_other"):
                    if who.startswith("token") and not url.is_api:
                        continue
                    case = f"{who}_via_own_enterprise"
                    cls._add(f"{name}__{case}", url, who, _own_enterprise_case, hole_key=case)
            cls._add(f"{name}__anonymous", url, "anonymous", _anonymous_case)
            if url.owner_status is not None:
                cls._add(f"{name}__owner", url, url.owner, _owner_case)
                if cls.owner_token and url.is_api and accepts_tokens(url):
                    cls._add(f"{name}__owner_token", url, "owner_token", _owner_case)

    @classmethod
    def _add(cls, name: str, url: ObjectUrl, who: str, case, hole_key: str = "") -> None:
        def test(self):
            with override_settings(ACCORD_SIGNING_BASE_URL=CLOSED_PORT):
                case(self, url, who)

        test.__name__ = name
        test.__qualname__ = f"{cls.__qualname__}.{name}"
        reason = url.holes.get(
            hole_key or ("owner" if case is _owner_case and who == url.owner else who)
        )
        if reason:
            test = pytest.mark.xfail(strict=True, reason=reason)(test)
        setattr(cls, name, test)


def _shown(response) -> bytes:
    return b"" if getattr(response, "streaming", False) else response.content[:500]


def _outsider_case(test: AccessMatrix, url: ObjectUrl, who: str) -> None:
    world = test.world
    client = Client()
    headers = {}
    if who in world.tokens:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[who]}"
    else:
        login(client, world.users[who])
    before, reads = snapshot(world), personal_data_reads()
    response = call(client, url, world, **headers)
    expected = 404 if who not in world.tokens or accepts_tokens(url) else 401
    if who in url.may_see:
        test.assertIn(response.status_code, (403, 404), _shown(response))
    else:
        test.assertEqual(response.status_code, expected, _shown(response))
        if url.is_api and expected == 404:
            test.assertEqual(response.json()["code"], "core.not_found")
    test.assertEqual(snapshot(world), before, "an outsider's request changed the database")
    test.assertEqual(personal_data_reads(), reads, "an outsider read personal data")


def _own_enterprise_case(test: AccessMatrix, url: ObjectUrl, who: str) -> None:
    """The outsider's own enterprise in the path, the owner's object after it: still 404."""
    world = test.world
    mixed = World()
    mixed.__dict__.update(world.__dict__)
    # ``{worker_of_enterprise}`` is whoever works for the enterprise in the path: theirs here.
    mixed.ids = {
        **world.ids,
        "enterprise": world.ids["their_enterprise"],
        "worker_of_enterprise": world.ids["their_worker_of_enterprise"],
    }
    client, headers = Client(), {}
    if who in world.tokens:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[who]}"
    else:
        login(client, world.users[who])
    before, reads = snapshot(world), personal_data_reads()
    response = call(client, url, mixed, **headers)
    expected = 404 if who not in world.tokens or accepts_tokens(url) else 401
    test.assertEqual(response.status_code, expected, _shown(response))
    test.assertEqual(snapshot(world), before, "an outsider's request changed the database")
    test.assertEqual(personal_data_reads(), reads, "an outsider read personal data")


def _anonymous_case(test: AccessMatrix, url: ObjectUrl, who: str) -> None:
    world = test.world
    before, reads = snapshot(world), personal_data_reads()
    response = call(Client(), url, world)
    if url.is_api:
        test.assertEqual(response.status_code, 401, _shown(response))
    else:
        test.assertEqual(response.status_code, 302, _shown(response))
        test.assertTrue(response["Location"].startswith(LOGIN_PAGES), response["Location"])
    test.assertEqual(snapshot(world), before, "an anonymous request changed the database")
    test.assertEqual(personal_data_reads(), reads)


def _owner_case(test: AccessMatrix, url: ObjectUrl, who: str) -> None:
    world = test.world
    if who in world.tokens:
        response = call(Client(), url, world, HTTP_AUTHORIZATION=f"Bearer {world.tokens[who]}")
    else:
        response = call(login(Client(), world.users[who]), url, world)
    accepted = url.owner_status if isinstance(url.owner_status, tuple) else (url.owner_status,)
    test.assertIn(response.status_code, accepted, _shown(response))
