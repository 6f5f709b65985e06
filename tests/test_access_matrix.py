"""The access matrix (DESIGN.md "Who may see what"): every object URL, page and API, tried by
each outsider of tests/support/access.py — HR of another enterprise, a worker of it, the officer
of another street, a mediator, that enterprise's API token, and an anonymous caller — answers
404 (never 403, which would leak that the object exists), changes nothing and reads no personal
data; the owner gets the declared answer.

The declarations of this module cover identity, contracts, signing and envelopes (HR pages and
API, the worker's signing pages, batches, the workspace and archive exports, evidence); seals
declare theirs in tests/seals/test_access.py, webhooks in tests/integrations/test_api.py. The
completeness test at the bottom fails on any object URL of the resolver or the OpenAPI schema
that no declaration names: a new service declares its URLs the same way.
"""

from __future__ import annotations

import base64
import importlib
import pkgutil
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import tests
from accord.core.events import deliver_pending
from accord.envelopes import services as envelopes
from accord.envelopes.models import Party
from accord.identity.models import Role
from accord.signing import pki
from tests.conftest import login
from tests.support import access, factories
from tests.support.access import AccessMatrix, ObjectUrl, World, api_operations, declared_urls
from tests.support.factories import contract_fields, published

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
# A worker sees their employer, a street officer the street's enterprises (DESIGN.md): refused
# (403) on an HR-only URL of that enterprise, they learn nothing they did not know.
SEE_THE_ENTERPRISE = ("worker_mine", "street_mine")
PNG_B64 = base64.b64encode(PNG).decode()
# The factories hire three weeks before the run; they leave on the day it runs.
LEAVING_DAY = timezone.localdate().isoformat()
NEW_EMPLOYEE = {"name": "越权", "id_number": "11010519491231002X", "start_date": "2026-01-01"}


def _totp_code(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def owner_totp(world: World) -> str:
    """A fresh one-time code of the owner's authenticator, made when the request is sent."""
    return _totp_code(world.users["owner"])


def _sealed_for_the_worker(world: World, worker, hr) -> object:
    """A labour contract sealed by the enterprise: the worker's turn (the signing pages)."""
    envelope = factories.EnvelopeFactory(
        enterprise=world.enterprise,
        person=worker,
        fields=contract_fields(),
        created_by=hr,
        send=True,
    )
    envelopes.seal(envelope, user=hr, otp_token=_totp_code(hr))
    deliver_pending()
    return envelope


# ---- identity and contracts ---------------------------------------------------------------------


class TestIdentityAndContractsAccess(AccessMatrix):
    urls = [
        ObjectUrl("get", "/enterprises/{enterprise}/"),
        ObjectUrl("get", "/people/{person}/"),
        ObjectUrl("post", "/people/{person}/reveal"),
        ObjectUrl("post", "/people/{person}/verify", owner_status=302),
        ObjectUrl("get", "/enterprises/{enterprise}/tokens"),
        ObjectUrl("post", "/enterprises/{enterprise}/tokens", {"revoke": "{token}"}),
        ObjectUrl("post", "/enterprises/{enterprise}/employees", {"name": "越权"}, 422),
        ObjectUrl(
            "post",
            "/employments/{employment}/end",
            {"end_date": LEAVING_DAY, "confirm": "on"},
            302,
        ),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}"),
        ObjectUrl("patch", "/api/v1/enterprises/{enterprise}", {"address": "福田区越权路 1 号"}),
        ObjectUrl("get", "/api/v1/people/{person}"),
        ObjectUrl("get", "/api/v1/people/{person}/personal-data"),
        ObjectUrl("post", "/api/v1/people/{person}/verify", {}),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/tokens"),
        ObjectUrl("post", "/api/v1/enterprises/{enterprise}/tokens", {"name": "x"}, 201),
        ObjectUrl("delete", "/api/v1/enterprises/{enterprise}/tokens/{token}", owner_status=204),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/employees"),
        ObjectUrl("post", "/api/v1/enterprises/{enterprise}/employees", NEW_EMPLOYEE, 201),
        ObjectUrl("post", "/api/v1/employments/{employment}/end", {"end_date": LEAVING_DAY}),
        ObjectUrl("get", "/api/v1/contract-templates/{template}"),
        ObjectUrl(
            "post",
            "/api/v1/contract-templates/{template}/versions",
            {"title": "越权", "sections": [{"text": "x"}]},
            201,
        ),
        ObjectUrl("post", "/api/v1/template-versions/{version}/publish", {}),
        ObjectUrl("get", "/api/v1/template-versions/{version}/preview.pdf"),
        ObjectUrl(
            "post",
            "/api/v1/enterprises/{enterprise}/contract-batches/check",
            {"file": factories.batch_sheet(1)},
        ),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/signing-providers"),
        ObjectUrl(
            "put", "/api/v1/enterprises/{enterprise}/signing-providers", {"providers": ["builtin"]}
        ),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        owner = world.users["owner"]
        job = factories.EmploymentFactory(
            enterprise=world.enterprise, person=factories.PersonFactory(name="本企业员工")
        )
        world.add("employment", job)
        world.add("person", job.person)
        world.add("token", factories.ApiTokenFactory(enterprise=world.enterprise, created_by=owner))
        version = factories.TemplateVersionFactory(enterprise=world.enterprise)
        world.add("version", version)
        world.add("template", version.template)


# ---- envelopes: HR pages and API ----------------------------------------------------------------


class TestEnvelopeAccess(AccessMatrix):
    more_outsiders = ("worker_mine", "street_mine")
    shared = ("offer_version",)  # a template shipped to every enterprise
    urls = [
        ObjectUrl(
            "get", "/enterprises/{enterprise}/envelopes/new?employment={employment}&kind=offer"
        ),
        ObjectUrl(
            "post",
            "/enterprises/{enterprise}/envelopes/check?employment={employment}&kind=labour_fixed",
            contract_fields(),
        ),
        ObjectUrl("get", "/envelopes/{envelope}/"),
        ObjectUrl("post", "/envelopes/{envelope}/send", {}, 302),
        ObjectUrl("post", "/envelopes/{sent}/seal", {"otp": owner_totp}, 302),
        # A labour contract needs no approval under the default policy: refused with its code.
        ObjectUrl("post", "/envelopes/{sent}/approval", {}, 422),
        ObjectUrl("post", "/envelopes/{envelope}/withdraw", {"reason": "x"}, 302),
        # Nobody has signed the world's envelope: it is withdrawn, not voided (envelopes/policy.py).
        ObjectUrl("post", "/envelopes/{envelope}/void", {"reason": "x"}, 409),
        ObjectUrl("get", "/employments/{employment}/timeline"),
        ObjectUrl(
            "post",
            "/api/v1/enterprises/{enterprise}/envelopes",
            {"template_version": "{offer_version}", "person": "{person}"},
            409,  # the world's offer is still out: one of a kind at a time (lifecycle)
            may_see=SEE_THE_ENTERPRISE,
        ),
        # Issue 10: a party (here the legal representative) must be a person of the enterprise.
        ObjectUrl(
            "post",
            "/api/v1/enterprises/{enterprise}/envelopes",
            {
                "template_version": "{offer_version}",
                "person": "{worker_of_enterprise}",
                "parties": [
                    {"role": "enterprise", "order": 1},
                    {"role": "legal_rep", "order": 2, "person": "{rep}"},
                    {"role": "worker", "order": 3, "person": "{worker_of_enterprise}"},
                ],
            },
            409,  # the world's offer is still out: one of a kind at a time (lifecycle)
            may_see=SEE_THE_ENTERPRISE,
        ),
        ObjectUrl(
            "post",
            "/api/v1/enterprises/{enterprise}/envelopes",
            {"template_version": "{offer_version}", "employment": "{employment}"},
            409,  # the world's offer is still out: one of a kind at a time (lifecycle)
            may_see=SEE_THE_ENTERPRISE,
        ),
        # The enterprise's own template, named by another enterprise.
        ObjectUrl(
            "post",
            "/api/v1/enterprises/{enterprise}/envelopes",
            {"template_version": "{my_offer}", "person": "{worker_of_enterprise}"},
            409,  # the world's offer is still out: one of a kind at a time (lifecycle)
            may_see=SEE_THE_ENTERPRISE,
        ),
        ObjectUrl("get", "/api/v1/envelopes/{envelope}"),
        ObjectUrl("get", "/api/v1/envelopes/{envelope}/documents/{position}.pdf"),
        ObjectUrl("post", "/api/v1/envelopes/{envelope}/send", {}),
        ObjectUrl("post", "/api/v1/envelopes/{sent}/seal", {"otp": owner_totp}),
        ObjectUrl("post", "/api/v1/envelopes/{envelope}/withdraw", {"reason": "x"}),
        ObjectUrl("post", "/api/v1/envelopes/{envelope}/void", {"reason": "x"}, 409),
        ObjectUrl("post", "/api/v1/envelopes/{envelope}/read", {"pages": 1}, 403),
        # The worker's actions: HR of the enterprise sees the envelope and is told it is not a
        # party (403), a plain refusal rather than a hiding 404.
        ObjectUrl("post", "/api/v1/envelopes/{envelope}/reject", {"reason": "x"}, 403),
        ObjectUrl("post", "/api/v1/envelopes/{envelope}/consent", {}, 403),
        ObjectUrl("post", "/api/v1/envelopes/{envelope}/signing-code", {}, 403),
        ObjectUrl("post", "/api/v1/envelopes/{envelope}/sign", {"code": "123456"}, 403),
        ObjectUrl(
            "put", "/api/v1/envelopes/{envelope}/signature-image", {"png_base64": PNG_B64}, 403
        ),
        ObjectUrl("get", "/api/v1/employments/{employment}/timeline"),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        owner = world.users["owner"]
        manager = factories.UserFactory(role=Role.HR, enterprise=world.enterprise)
        factories.SealFactory(enterprise=world.enterprise, manager=manager, users=[owner])
        job = factories.EmploymentFactory(
            enterprise=world.enterprise,
            person=factories.PersonFactory(name="本企业员工", verified=True),
        )
        world.add("employment", job)
        world.add("person", job.person)
        world.ids["worker_of_enterprise"] = job.person.public_id
        rep = factories.EmploymentFactory(
            enterprise=world.enterprise, person=factories.PersonFactory(name="法定代表人")
        ).person
        world.add("rep", rep)
        world.add(
            "my_offer",
            factories.TemplateVersionFactory(enterprise=world.enterprise, publish=True),
        )
        offer = published("offer")
        world.add("offer_version", offer)
        draft = factories.EnvelopeFactory(
            enterprise=world.enterprise,
            person=job.person,
            version=offer,
            fields={},
            created_by=owner,
        )
        world.add("envelope", draft)
        sent = factories.EnvelopeFactory(
            enterprise=world.enterprise, person=job.person, created_by=owner, send=True
        )
        world.add("sent", sent)
        world.add("position", 1)


# ---- the worker's signing pages and documents ---------------------------------------------------


class TestWorkerSigningAccess(AccessMatrix):
    more_outsiders = ("worker_mine", "street_mine")
    urls = [
        ObjectUrl("get", "/my/sign/{party}", owner="worker"),
        ObjectUrl("post", "/my/sign/{party}/verify", {}, 302, owner="worker"),
        ObjectUrl("post", "/my/sign/{party}/read", {"pages": "1"}, 302, owner="worker"),
        ObjectUrl(
            "post",
            "/my/sign/{party}/consent",
            {"agree": "1", "read_all": "1", "pages_seen": "1"},
            302,
            owner="worker",
        ),
        ObjectUrl(
            "post",
            "/my/sign/{party}/signature",
            {"png_base64": PNG_B64},
            302,
            owner="worker",
        ),
        ObjectUrl("get", "/my/sign/{party}/signature.png", owner_status=200, owner="worker"),
        ObjectUrl("post", "/my/sign/{party}/code", {}, 302, owner="worker"),
        # No code was asked for: the owner is told to ask for one first (409).
        ObjectUrl(
            "post",
            "/my/sign/{party}/sign",
            {"code": "000000"},
            409,
            owner="worker",
        ),
        ObjectUrl("post", "/my/sign/{party}/reject", {"reason": "不同意"}, 302, owner="worker"),
        ObjectUrl("get", "/my/sign/{party}/pages/{page}.png", owner="worker"),
        ObjectUrl("get", "/my/documents/{envelope}/{position}.pdf", owner="worker"),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        pki.ensure_platform()
        owner = world.users["owner"]
        manager = factories.UserFactory(role=Role.HR, enterprise=world.enterprise)
        factories.SealFactory(enterprise=world.enterprise, manager=manager, users=[owner])
        worker = factories.EmploymentFactory(
            enterprise=world.enterprise,
            person=factories.PersonFactory(name="本企业员工", verified=True),
        ).person
        world.users["worker"] = factories.UserFactory(role=Role.WORKER, person=worker)
        envelope = _sealed_for_the_worker(world, worker, owner)
        party = envelope.parties.get(role=Party.Role.WORKER)
        # Read, consented and drawn: the worker is at the last step (the code, then sign).
        envelopes.record_view(party, pages_read=envelope.documents.first().pages)
        envelopes.record_consent(party)
        envelopes.save_signature_image(party, PNG)
        world.add("envelope", envelope)
        world.add("party", party)
        world.add("page", 1)
        world.add("position", 1)


# ---- batches -------------------------------------------------------------------------------------


class TestBatchAccess(AccessMatrix):
    # The enterprise's own worker and its street officer see the enterprise but not its HR's
    # batches: 404 from pages and API alike (envelopes.batches.enterprise_for_batches).
    more_outsiders = ("worker_mine", "street_mine")
    shared = ("labour_version",)  # a template shipped to every enterprise
    urls = [
        ObjectUrl("get", "/enterprises/{enterprise}/batches/"),
        ObjectUrl("get", "/enterprises/{enterprise}/batches/new"),
        ObjectUrl(
            "post",
            "/enterprises/{enterprise}/batches/new",
            {"template_version": "{labour_version}", "file": factories.batch_sheet(1, first=50)},
            302,
        ),
        ObjectUrl("get", "/batches/{batch}/"),
        # A batch that is not sending answers 286: "stop polling" (htmx).
        ObjectUrl("get", "/batches/{batch}/progress", owner_status=286),
        ObjectUrl("post", "/batches/{batch}/start", {}, 302),
        ObjectUrl("post", "/batches/{batch}/seal", {"otp": owner_totp}, 302),
        ObjectUrl(
            "post",
            "/api/v1/enterprises/{enterprise}/batches",
            {"template_version": "{labour_version}", "file": factories.batch_sheet(1, first=60)},
            201,
        ),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/batches"),
        # The enterprise's own labour-contract template, named by another enterprise.
        ObjectUrl(
            "post",
            "/api/v1/enterprises/{enterprise}/batches",
            {"template_version": "{my_labour}", "file": factories.batch_sheet(1, first=70)},
            201,
        ),
        ObjectUrl("get", "/api/v1/batches/{batch}"),
        ObjectUrl("get", "/api/v1/batches/{batch}/problems"),
        ObjectUrl("post", "/api/v1/batches/{batch}/start", {}),
        ObjectUrl("post", "/api/v1/batches/{batch}/seal", {"otp": owner_totp}, 202),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        owner = world.users["owner"]
        shipped = published("labour-fixed")
        world.add("labour_version", shipped)
        world.add(
            "my_labour",
            factories.TemplateVersionFactory(
                enterprise=world.enterprise,
                kind=shipped.template.kind,
                title=shipped.title,
                sections=shipped.sections,
                publish=True,
            ),
        )
        world.add("batch", factories.BatchFactory(enterprise=world.enterprise, user=owner))


# ---- the contract workspace, archive exports and evidence reports -------------------------------


class TestWorkspaceAccess(AccessMatrix):
    more_outsiders = ("worker_mine", "street_mine")
    urls = [
        ObjectUrl("get", "/enterprises/{enterprise}/contracts"),
        ObjectUrl("post", "/enterprises/{enterprise}/contracts/archive-exports", {}, 302),
        ObjectUrl("get", "/enterprises/{enterprise}/contracts/archive-exports/{export}/download"),
        # The world's envelope is a draft: its owner is told it is not completed (409).
        ObjectUrl("get", "/envelopes/{envelope}/evidence.pdf", owner_status=409),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/contract-workspace"),
        ObjectUrl("post", "/api/v1/enterprises/{enterprise}/archive-exports", {}, 202),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/archive-exports/{export}"),
        ObjectUrl("get", "/api/v1/enterprises/{enterprise}/archive-exports/{export}/download"),
        ObjectUrl("get", "/api/v1/envelopes/{envelope}/evidence-report.pdf", owner_status=409),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        owner = world.users["owner"]
        job = factories.EmploymentFactory(enterprise=world.enterprise)
        world.add(
            "envelope",
            factories.EnvelopeFactory(
                enterprise=world.enterprise,
                person=job.person,
                version=published("offer"),
                fields={},
                created_by=owner,
            ),
        )
        world.add("export", factories.archive_export(world.enterprise, owner)["id"])


# ---- completeness: every object URL of the resolver and the schema is declared ------------------

# Object URLs that are public by design, each with the reason; everything else must be declared.
PUBLIC_OBJECT_URLS = {
    # Mediation (issue #14): the register of mediators (备案) is public to anyone logged in, as
    # on the national platform (their cases are scoped); an online session's room is reached by
    # its unguessable name, as a Jitsi Meet room is.
    "/mediation/mediators/{}/": "public register of mediators (logged in)",
    "GET /api/v1/mediation/mediators/{}": "public register of mediators (logged in)",
    "/mediation/meet/{}": "an online mediation room, by its unguessable name",
    # The transparency log: anyone may read checkpoints, entries, tiles (RFC 9162, C2SP tlog).
    "/ledger/checkpoints/{}": "public transparency log",
    "/ledger/entries/{}": "public transparency log",
    "/ledger/tile/{}/{}": "public transparency log",
    "/ledger/tile/entries/{}": "public transparency log (C2SP tlog-tiles entry bundles)",
    # The PKI's revocation and issuer data must be fetchable by any PDF reader.
    "/signing/ocsp/{}": "public OCSP responder (RFC 6960)",
    "/signing/crl/{}.crl": "public certificate revocation list",
    "/signing/ca/{}.cer": "public issuing-CA certificate",
    # A signing provider's callback, authenticated by the provider's signature, not a session.
    "/signing/webhooks/{}": "provider callback, signature-authenticated",
    # A document's public verification by its number (printed on the document and its QR).
    "GET /api/v1/verify/{}": "public document verification by number",
    # The texted signing link is itself the credential (256 random bits): it leads its holder to
    # the phone login of its party; a different logged-in person is told to log out (ESL Art.
    # 13). tests/envelopes/test_worker_pages.py covers it.
    "/s/{}": "bearer link texted to the signer",
    # The last URL pattern: any address nothing else answers is the site's 404 page, or a redirect
    # to the same address with a slash more or less (tests/test_fresh_machine.py).
    "/^(?P{}.*)$": "unknown addresses: the 404 page",
}


def _page_routes() -> set[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield "/" + prefix + str(p.pattern)

    routes = set()
    for route in walk(get_resolver().url_patterns):
        if "<" in route and not route.startswith("/api/v1/"):
            routes.add(re.sub(r"<[^>]+>", "{}", route))
    return routes


def _api_object_operations() -> set[str]:
    return {f"{m} {path}" for (m, path) in api_operations() if "{}" in path}


def _import_all_declarations() -> None:
    for info in pkgutil.walk_packages(tests.__path__, "tests."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("test_") and not info.name.startswith("tests.e2e"):
            importlib.import_module(info.name)


def test_every_object_url_is_declared_in_an_access_matrix():
    _import_all_declarations()
    declared_pages = {u.route for u in declared_urls() if not u.is_api}
    declared_api = {f"{u.method.upper()} {u.route}" for u in declared_urls() if u.is_api}
    missing_pages = sorted(_page_routes() - declared_pages - set(PUBLIC_OBJECT_URLS))
    missing_api = sorted(_api_object_operations() - declared_api - set(PUBLIC_OBJECT_URLS))
    assert not missing_pages and not missing_api, (
        "object URLs no access matrix declares (tests/support/access.py):\n"
        + "\n".join(missing_pages + missing_api)
    )


def test_declarations_name_only_urls_that_exist():
    """A declared URL that the resolver or the schema does not know is a typo: it would be
    'covered' without ever testing a real URL."""
    _import_all_declarations()
    pages, api = _page_routes(), _api_object_operations()
    wrong = [
        f"{u.method} {u.template}"
        for u in declared_urls()
        if (u.is_api and f"{u.method.upper()} {u.route}" not in api)
        or (not u.is_api and u.route not in pages)
    ]
    assert not wrong, wrong
    stale = {r for r in PUBLIC_OBJECT_URLS if r not in pages and r not in api}
    assert not stale, f"public exemptions for URLs that no longer exist: {stale}"


# ---- the earlier shape, kept for the modules that still import it -------------------------------
# tests/envelopes/test_workspace.py parametrizes its own list over these names; its URLs are all
# declared above, so the integrator can drop that copy (and these names) after the merge.

OUTSIDERS = [w for w in access.OUTSIDERS if not w.startswith("token")]


def _call(client, url: ObjectUrl, ids):
    world = World()
    world.ids = dict(ids)
    return access.call(client, url, world)


@pytest.fixture
def world(db):
    built = World()
    built.enterprise = factories.EnterpriseFactory(street=access.OWNER_STREET)
    built.add("enterprise", built.enterprise)
    owner = factories.UserFactory(role=Role.HR, enterprise=built.enterprise, totp=False)
    built.users["owner"] = owner
    access._outsiders(built)
    job = factories.EmploymentFactory(enterprise=built.enterprise)
    built.add("person", job.person)
    built.add("employment", job)
    envelope = factories.EnvelopeFactory(
        enterprise=built.enterprise,
        person=job.person,
        version=published("offer"),
        fields={},
        created_by=owner,
    )
    built.add("envelope", envelope)
    return built.users, built.ids


def test_anonymous_api_calls_are_401_and_pages_redirect_to_login(client, world):
    _, ids = world
    assert client.get(f"/api/v1/people/{ids['person']}").status_code == 401
    assert client.get(f"/people/{ids['person']}/")["Location"].startswith("/login")
    login(client, world[0]["owner"])
    assert client.get(f"/people/{ids['person']}/").status_code == 200
