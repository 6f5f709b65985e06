"""Every API list endpoint answers in one paginated shape (docs/architecture.md, "API lists").

Declared once here: the list endpoints and a world in which each has a few rows. The OpenAPI
schema is checked against the declaration, so a new list endpoint that is not paginated, or not
declared, fails ``test_every_list_endpoint_is_declared_and_paginated``.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from accord.contracts.models import DocumentKind, TemplateVersion
from accord.core.pagination import COUNT_CAP, MAX_PAGE_SIZE, paginate
from accord.envelopes.models import Batch, Envelope
from accord.identity import auth
from accord.identity.models import Membership, Role, User
from accord.integrations.models import WebhookDelivery, WebhookEndpoint
from accord.seals import approvals
from accord.seals import services as seals
from accord.seals.models import SealUsage
from accord.urls import api  # the API with every router mounted
from tests.conftest import login
from tests.support import factories

pytestmark = pytest.mark.django_db

LIST_FIELDS = {"count", "count_capped", "page", "page_size", "has_next", "results"}

NOT_YET_PATHS: set[str] = set()

LIST_ENDPOINTS = [
    pytest.param("/api/v1/enterprises", id="enterprises"),
    pytest.param("/api/v1/people", id="people"),
    pytest.param("/api/v1/audit", id="audit"),
    pytest.param("/api/v1/enterprises/{enterprise}/employees", id="employees"),
    pytest.param("/api/v1/enterprises/{enterprise}/tokens", id="tokens"),
    pytest.param("/api/v1/contract-templates", id="contract-templates"),
    pytest.param("/api/v1/envelopes", id="envelopes"),
    pytest.param("/api/v1/enterprises/{enterprise}/batches", id="batches"),
    pytest.param("/api/v1/batches/{batch}/problems", id="batch-problems"),
    pytest.param("/api/v1/enterprises/{enterprise}/seals", id="seals"),
    pytest.param("/api/v1/seals/{seal}/grants", id="seal-grants"),
    pytest.param("/api/v1/seals/{seal}/usage", id="seal-usage"),
    pytest.param("/api/v1/seals/{seal}/approvals", id="seal-approvals"),
    pytest.param("/api/v1/webhook-topics", id="webhook-topics"),
    pytest.param("/api/v1/enterprises/{enterprise}/webhooks", id="webhooks"),
    pytest.param(
        "/api/v1/enterprises/{enterprise}/webhooks/{endpoint}/deliveries", id="webhook-deliveries"
    ),
    pytest.param("/api/v1/mediation/cases", id="mediation-cases"),
    pytest.param("/api/v1/mediation/mediators", id="mediators"),
    pytest.param("/api/v1/mediation/organisations", id="mediation-organisations"),
]


@pytest.fixture
def world(make_enterprise, make_user, make_person, client):
    """An HR manager of one enterprise with two or more rows in every list it may read."""
    enterprise = make_enterprise()
    hr = make_user("hr", enterprise=enterprise)
    Membership.objects.create(user=hr, role=Role.HR, enterprise=make_enterprise())
    hr = User.objects.get(pk=hr.pk)
    clerk = make_user("hr", enterprise=enterprise)
    version = TemplateVersion.objects.filter(status="published").first()
    for i, name in enumerate(("张一", "张二")):
        person = make_person(name=name)
        enterprise.employments.create(person=person, start_date=dt.date(2024, 1, 1))
        Envelope.objects.create(
            enterprise=enterprise,
            person=person,
            number=f"LIST-{enterprise.pk}-{i}",
            title="劳动合同",
            kind=DocumentKind.LABOUR_FIXED,
            template_version=version,
        )
    for name in ("HR system", "Payroll"):
        auth.create_api_token(enterprise=enterprise, name=name, created_by=hr)
    seal = seals.create_seal(enterprise, user=hr, kind="contract")
    seals.create_seal(enterprise, user=hr, kind="hr")
    seals.grant_power(seal, user=hr, grantee=clerk, power="use")
    for i in range(2):
        approvals.request_approval(
            seal,
            user=clerk,
            document_sha256=f"{i:064x}",
            title=f"文件{i}",
            document_kind=DocumentKind.TERMINATION,
        )
        SealUsage.objects.create(
            seal=seal,
            user=clerk,
            user_label=clerk.username,
            document_sha256=f"{i:064x}",
            outcome="refused",
            reason="seal.not_authorised",
        )
    endpoint = WebhookEndpoint.objects.create(
        enterprise=enterprise, url="https://hooks.example.com/accord", topics=["*"], secret="s" * 32
    )
    WebhookEndpoint.objects.create(
        enterprise=enterprise, url="https://hooks.example.com/other", topics=["*"], secret="s" * 32
    )
    for _ in range(2):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=uuid.uuid4(),
            topic="identity.employment.started",
            payload={},
            occurred_at=endpoint.created_at,
        )
    problem = {"row": 2, "column": "姓名", "code": "x", "message_zh": "x", "message_en": "x"}
    batch = Batch.objects.create(
        enterprise=enterprise,
        template_version=version,
        file_sha256="0" * 64,
        problems=[problem, {**problem, "row": 3}],
    )
    Batch.objects.create(enterprise=enterprise, template_version=version, file_sha256="1" * 64)
    # Two mediation cases of the enterprise's workers, two registered mediators (the register
    # is public to anyone logged in), two organisations.
    org = factories.OrganisationFactory()
    factories.OrganisationFactory()
    for employment in enterprise.employments.all():
        factories.CaseFactory(organisation=org, employment=employment)
    factories.MediatorFactory(organisation=org)
    factories.MediatorFactory(organisation=org)
    login(client, hr)
    return {
        "client": client,
        "ids": {
            "enterprise": enterprise.public_id,
            "seal": seal.public_id,
            "endpoint": endpoint.public_id,
            "batch": batch.public_id,
        },
    }


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_list_endpoint_answers_in_the_one_paginated_shape(world, url):
    url = url.format(**world["ids"])
    client = world["client"]
    first = client.get(url, {"page_size": 1})
    assert first.status_code == 200, first.content
    body = first.json()
    assert set(body) == LIST_FIELDS
    assert (body["page"], body["page_size"], body["count_capped"]) == (1, 1, False)
    assert body["count"] >= 2 and len(body["results"]) == 1 and body["has_next"] is True
    last = client.get(url, {"page_size": 1, "page": body["count"]}).json()
    assert len(last["results"]) == 1 and last["has_next"] is False
    assert last["results"] != body["results"]
    beyond = client.get(url, {"page_size": 1, "page": body["count"] + 1}).json()
    assert beyond["results"] == [] and beyond["count"] == body["count"]


# A batch's problems come 1,000 a page at most (a spreadsheet of 10,000 rows); every other list
# 200 (core.pagination.MAX_PAGE_SIZE).
PAGE_SIZE_LIMITS = {"/api/v1/batches/{batch}/problems": 1000}


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_list_endpoint_refuses_a_page_size_over_the_limit(world, url):
    limit = PAGE_SIZE_LIMITS.get(url, MAX_PAGE_SIZE)
    client, url = world["client"], url.format(**world["ids"])
    assert client.get(url, {"page_size": limit}).status_code == 200
    response = client.get(url, {"page_size": limit + 1})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("core.invalid_page", "page")


def _response_schema(op: dict, components: dict) -> dict:
    ok = op["responses"].get(200) or op["responses"].get("200") or {}
    schema = ok.get("content", {}).get("application/json", {})
    schema = schema.get("schema", {})
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_every_list_endpoint_is_declared_and_paginated():
    openapi = api.get_openapi_schema()
    components = openapi["components"]["schemas"]
    shape = re.compile(r"\{[^}]+\}")
    lists, bare, other_shape = set(), set(), set()
    for path, ops in openapi["paths"].items():
        if "get" not in ops:
            continue
        schema = _response_schema(ops["get"], components)
        if schema.get("type") == "array":
            bare.add(path)
        elif "results" in schema.get("properties", {}):
            lists.add(shape.sub("{}", path))
            if set(schema["properties"]) != LIST_FIELDS:
                other_shape.add(shape.sub("{}", path))
    assert bare == set()
    assert lists == {shape.sub("{}", p.values[0]) for p in LIST_ENDPOINTS}
    assert other_shape == NOT_YET_PATHS


def test_counts_stop_at_the_cap_yet_every_page_can_be_reached():
    rows = list(range(1, 1_201))
    first = paginate(rows, 1, 50)
    assert (first.count, first.count_capped, first.has_next) == (COUNT_CAP, True, True)
    beyond_cap = paginate(rows, 21, 50)  # rows 1,001–1,050: past the cap, still there
    assert beyond_cap.items == list(range(1_001, 1_051)) and beyond_cap.has_next
    last = paginate(rows, 24, 50)
    assert last.items[-1] == 1_200 and (last.count, last.count_capped) == (1_200, False)
    assert not last.has_next
