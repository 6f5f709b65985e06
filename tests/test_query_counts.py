"""Every list endpoint, page and API, runs the same number of queries for N rows as for 3N
(CONVENTIONS.md "Queries"), declared on the helper of tests/support/queries.py. The completeness
test fails on an API list endpoint of the OpenAPI schema that is not declared here.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import itertools
import pkgutil
import re

from django.test import override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook

import tests
from accord.core.api import api
from accord.core.notifications import notify
from accord.envelopes import services as envelopes
from accord.identity.models import Role
from accord.seals import services as seals
from accord.seals.models import Power, SealUsage
from accord.signing import pki
from tests.support import factories
from tests.support.access import World, api_operations
from tests.support.queries import FlatQueryCounts, ListEndpoint, declared_endpoints

_seq = itertools.count(1)


def _people(world: World, n: int) -> list[str]:
    return [factories.PersonFactory(name=f"查询{next(_seq)}").name for _ in range(n)]


def _enterprises(world: World, n: int) -> list[str]:
    return [
        factories.EnterpriseFactory(name=f"查询企业{next(_seq)}有限公司").name for _ in range(n)
    ]


def _employees(world: World, n: int) -> list[str]:
    return [
        factories.EmploymentFactory(
            enterprise=world.enterprise, person=factories.PersonFactory(name=f"员工{next(_seq)}")
        ).person.name
        for _ in range(n)
    ]


def _tokens(world: World, n: int) -> list[str]:
    return [
        factories.ApiTokenFactory(
            enterprise=world.enterprise, name=f"系统{next(_seq)}", created_by=world.users["owner"]
        ).name
        for _ in range(n)
    ]


def _templates(world: World, n: int) -> list[str]:
    return [
        factories.TemplateVersionFactory(
            enterprise=world.enterprise, name=f"模板{next(_seq)}", publish=True
        ).template.name
        for _ in range(n)
    ]


def _envelopes(world: World, n: int) -> list[str]:
    made = []
    for _ in range(n):
        person = factories.EmploymentFactory(
            enterprise=world.enterprise, person=factories.PersonFactory(name=f"签约{next(_seq)}")
        ).person
        made.append(
            factories.EnvelopeFactory(
                enterprise=world.enterprise,
                person=person,
                version=factories.published("offer"),
                fields={},
                created_by=world.users["owner"],
            ).number
        )
    return made


def _batches(world: World, n: int) -> list[str]:
    return [
        str(
            factories.BatchFactory(
                enterprise=world.enterprise, user=world.users["owner"], rows=1
            ).public_id
        )
        for _ in range(n)
    ]


def _batch_problems_page(world: World, n: int) -> list[str]:
    rows = _batch_problems(world, n)
    return [f'data-label="行">{r.split()[-1].rstrip(",")}</td>' for r in rows]


def _timeline(world: World, n: int) -> list[str]:
    """Offers made for the world's employment, each withdrawn before the next (one of a kind at
    a time, lifecycle.require_fits): each is an event on its timeline."""
    job = world.named["employment"]
    made = []
    for _ in range(n):
        envelope = factories.EnvelopeFactory(
            enterprise=world.enterprise,
            person=job.person,
            employment=job,
            version=factories.published("offer"),
            fields={},
            created_by=world.users["owner"],
        )
        envelopes.withdraw(envelope, user=world.users["owner"], reason="重新发起")
        made.append(envelope.number)
    return made


def _batch_problems(world: World, n: int) -> list[str]:
    """A batch whose rows all have a problem: the row maker points ``batch`` at a bigger one."""
    total = world.ids.get("problem_rows", 0) + n
    world.ids["problem_rows"] = total
    # An empty spreadsheet is refused (batch.empty): no problem rows is one lawful row.
    data = factories.batch_sheet(max(total, 1), first=next(_seq) * 100)
    # A probation wage of 100 yuan on every row: a problem on each (LCL Art. 20).
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    column = [c.value for c in sheet[1]].index("试用期工资") + 1
    for row in range(2, total + 2):
        sheet.cell(row=row, column=column, value="100")
    out = io.BytesIO()
    book.save(out)
    batch = factories.BatchFactory(
        enterprise=world.enterprise, user=world.users["owner"], data=out.getvalue()
    )
    world.ids["batch"] = batch.public_id
    return [f'"row": {r},' for r in range(2, total + 2)]


def _seals(world: World, n: int) -> list[str]:
    made = []
    for _ in range(n):
        kind = world.ids["free_seal_kinds"].pop()
        made.append(
            seals.create_seal(
                world.enterprise, user=world.users["owner"], name=f"印章{next(_seq)}", kind=kind
            ).name
        )
    return made


def _grants(world: World, n: int) -> list[str]:
    seal = world.named["seal"]
    made = []
    for _ in range(n):
        grantee = factories.UserFactory(role=Role.HR, enterprise=world.enterprise, totp=False)
        factories.SealGrantFactory(
            seal=seal, by=world.users["owner"], grantee=grantee, power=Power.AUDIT
        )
        made.append(grantee.username)
    return made


def _usage(world: World, n: int) -> list[str]:
    seal = world.named["seal"]
    made = []
    for _ in range(n):
        title = f"用印{next(_seq)}"
        # The usage log is append-only and written by seals.services.use_seal; a refused use
        # is the cheapest entry to make (no document to sign).
        SealUsage.objects.create(
            seal=seal,
            user=world.users["owner"],
            user_label=world.users["owner"].username,
            document_sha256=f"{next(_seq):064x}",
            document_title=title,
            document_kind="labour_fixed",
            outcome=SealUsage.Outcome.REFUSED,
            reason="seal.not_user",
        )
        made.append(title)
    return made


def _approvals(world: World, n: int) -> list[str]:
    seal = world.named["seal"]
    made = []
    for _ in range(n):
        title = f"解除通知{next(_seq)}"
        factories.SealApprovalFactory(
            seal=seal,
            user=world.users["clerk"],
            document_sha256=f"{next(_seq):064x}",
            title=title,
        )
        made.append(title)
    return made


def _webhooks(world: World, n: int) -> list[str]:
    return [
        factories.WebhookEndpointFactory(
            enterprise=world.enterprise, description=f"钩子{next(_seq)}"
        ).description
        for _ in range(n)
    ]


def _deliveries(world: World, n: int) -> list[str]:
    endpoint = world.named["endpoint"]
    return [str(factories.WebhookDeliveryFactory(endpoint=endpoint).public_id) for _ in range(n)]


def _audit_entries(world: World, n: int) -> list[str]:
    return _people(world, n)  # each person made is an audit entry (identity.person.create)


def _notifications(world: World, n: int) -> list[str]:
    titles = [f"通知{next(_seq)}" for _ in range(n)]
    for title in titles:
        notify(world.users["owner"], title)
    return titles


def _staff(world: World, n: int) -> list[str]:
    return [
        factories.UserFactory(role=Role.HR, enterprise=world.enterprise, totp=False).username
        for _ in range(n)
    ]


def _my_documents(world: World, n: int) -> list[str]:
    """Labour contracts to the world's worker (each from its own start date), sealed by the
    enterprise: the worker's turn has come, so each is in their documents."""
    clerk = world.users["clerk"]
    made = []
    for _ in range(n):
        start = timezone.localdate() + dt.timedelta(days=3 + next(_seq))
        fields = factories.contract_fields(
            start_date=start.isoformat(),
            end_date=start.replace(year=start.year + 3).isoformat(),
            probation_end_date="",  # one probation per employer and worker (LCL Art. 19 ¶2)
            probation_wage="",
        )
        envelope = factories.EnvelopeFactory(
            enterprise=world.enterprise,
            person=world.users["worker"].person,
            fields=fields,
            created_by=clerk,
            send=True,
        )
        device = TOTPDevice.objects.get(user=clerk)
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        envelopes.seal(envelope, user=clerk, otp_token=f"{code:06d}")
        # One labour contract of a kind open at a time (lifecycle): end this one before the next.
        envelopes.void(envelope, user=clerk, reason="重新订立")
        made.append(envelope.number)
    return made


@override_settings(ACCORD_SIGNING_BASE_URL="http://127.0.0.1:9")  # OCSP look-ups fail fast
class TestListQueries(FlatQueryCounts):
    endpoints = [
        # API
        ListEndpoint("/api/v1/enterprises?page_size=200", _enterprises, viewer="bureau"),
        ListEndpoint(
            "/api/v1/enterprises?street=futian&section=I&q=查询企业&page_size=200",
            _enterprises,
            viewer="bureau",
        ),
        ListEndpoint("/api/v1/people?page_size=200", _people, viewer="bureau"),
        ListEndpoint("/api/v1/people?page_size=200", _employees, viewer="owner_token"),
        ListEndpoint("/api/v1/audit?page_size=200", _audit_entries, viewer="auditor"),
        ListEndpoint("/api/v1/enterprises/{enterprise}/tokens", _tokens),
        ListEndpoint("/api/v1/enterprises/{enterprise}/employees?page_size=200", _employees),
        ListEndpoint("/api/v1/contract-templates", _templates),
        ListEndpoint("/api/v1/envelopes?page_size=200", _envelopes),
        ListEndpoint("/api/v1/enterprises/{enterprise}/batches", _batches),
        ListEndpoint("/api/v1/batches/{batch}/problems", _batch_problems),
        ListEndpoint("/api/v1/enterprises/{enterprise}/seals", _seals, n=1),
        ListEndpoint("/api/v1/seals/{seal}/grants", _grants),
        ListEndpoint("/api/v1/seals/{seal}/usage?page_size=200", _usage),
        ListEndpoint("/api/v1/seals/{seal}/approvals", _approvals),
        ListEndpoint("/api/v1/enterprises/{enterprise}/webhooks", _webhooks),
        ListEndpoint(
            "/api/v1/enterprises/{enterprise}/webhooks/{endpoint}/deliveries?page_size=200",
            _deliveries,
        ),
        # pages
        ListEndpoint("/enterprises/", _enterprises, viewer="bureau"),
        ListEndpoint("/enterprises/?street=futian&q=查询企业", _enterprises, viewer="bureau"),
        ListEndpoint("/people/", _people, viewer="bureau"),
        ListEndpoint("/audit/", _audit_entries, viewer="auditor"),
        ListEndpoint("/staff/", _staff, viewer="admin"),
        ListEndpoint("/inbox/", _notifications),
        ListEndpoint("/envelopes/", _envelopes),
        ListEndpoint("/enterprises/{enterprise}/", _employees),
        ListEndpoint("/enterprises/{enterprise}/tokens", _tokens),
        ListEndpoint("/enterprises/{enterprise}/batches/", _batches),
        ListEndpoint("/enterprises/{enterprise}/contracts", _employees),
        ListEndpoint("/my/documents", _my_documents, viewer="worker", n=2),
        ListEndpoint("/enterprises/{enterprise}/seals", _seals, n=1),
        ListEndpoint("/seals/{seal}/", _grants),
        ListEndpoint("/batches/{batch}/", _batch_problems_page),
        ListEndpoint("/employments/{employment}/timeline", _timeline),
        ListEndpoint("/api/v1/employments/{employment}/timeline", _timeline),
        ListEndpoint("/enterprises/{enterprise}/webhooks", _webhooks),
    ]

    @classmethod
    def build_world(cls, world: World) -> None:
        world.enterprise = factories.EnterpriseFactory()
        world.add("enterprise", world.enterprise)
        owner = factories.UserFactory(role=Role.HR, enterprise=world.enterprise)
        clerk = factories.UserFactory(role=Role.HR, enterprise=world.enterprise)
        pki.ensure_platform()
        worker = factories.EmploymentFactory(
            enterprise=world.enterprise,
            person=factories.PersonFactory(name="本企业员工", verified=True),
        ).person
        world.users.update(
            {
                "worker": factories.UserFactory(role=Role.WORKER, person=worker),
                "owner": owner,
                "clerk": clerk,
                "bureau": factories.UserFactory(role=Role.BUREAU_OFFICER),
                "auditor": factories.UserFactory(role=Role.AUDITOR),
                "admin": factories.UserFactory(role=Role.ADMIN),
            }
        )
        world.tokens["owner_token"] = factories.ApiTokenFactory(
            enterprise=world.enterprise, created_by=owner
        ).plaintext
        seal = factories.SealFactory(enterprise=world.enterprise, manager=owner, users=[clerk])
        endpoint = factories.WebhookEndpointFactory(enterprise=world.enterprise, created_by=owner)
        world.add("seal", seal)
        world.add("endpoint", endpoint)
        world.add(
            "employment",
            factories.EmploymentFactory(
                enterprise=world.enterprise, person=factories.PersonFactory(name="时间线员工")
            ),
        )
        world.ids["free_seal_kinds"] = ["official", "hr", "other"]
        _batch_problems(world, 0)


# ---- completeness: every API list endpoint is declared --------------------------------------------

# Lists that hold no rows of the database: nothing can grow.
NOT_FROM_THE_DATABASE = {"/api/v1/webhook-topics": "the topics are a constant of the code"}


def _is_list(operation: dict) -> bool:
    response = operation.get("responses", {})
    ok = response.get(200) or response.get("200") or {}
    schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = _component(schema["$ref"])
    if schema.get("type") == "array":
        return True
    properties = schema.get("properties", {})
    return any(
        _resolved(properties.get(name, {})).get("type") == "array" for name in ("results", "items")
    )


def _component(ref: str) -> dict:
    return api.get_openapi_schema()["components"]["schemas"][ref.split("/")[-1]]


def _resolved(schema: dict) -> dict:
    return _component(schema["$ref"]) if "$ref" in schema else schema


def _import_all_declarations() -> None:
    """Declarations in every app's test modules (tests/mediation/test_lists.py …) register
    themselves on import, as the access matrix's do."""
    for info in pkgutil.walk_packages(tests.__path__, "tests."):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("test_") and not info.name.startswith("tests.e2e"):
            importlib.import_module(info.name)


def test_every_api_list_endpoint_is_declared():
    _import_all_declarations()
    lists = {
        path
        for (method, path), op in api_operations().items()
        if method == "GET" and not re.search(r"\{\}$", path) and _is_list(op)
    }
    declared = {e.route for e in declared_endpoints() if e.is_api}
    missing = sorted(lists - declared - set(NOT_FROM_THE_DATABASE))
    assert not missing, f"API list endpoints with no flat-query-count declaration: {missing}"
    assert len(lists) >= 15  # the schema is read: a broken look-up must not pass as "all declared"
