"""The shared test bases fail when they should: an outsider who is shown the object, a change
made by a request, rows the list does not show, queries that grow with the rows. (A base that
cannot fail would make every declaration on it pass.)"""

from __future__ import annotations

import unittest

import pytest
from django.db import connection

from accord.identity.models import Enterprise, Role, User
from tests.support import access, factories, queries
from tests.support.access import ObjectUrl, World

pytestmark = pytest.mark.django_db


def _checker(world: World) -> unittest.TestCase:
    checker = unittest.TestCase()
    checker.world = world
    return checker


def test_factories_make_objects_through_the_services():
    employment = factories.EmploymentFactory(person=factories.PersonFactory(verified=True))
    assert employment.person.verification_level == "registry"
    # register_employee made the worker's login account (the person has a phone).
    assert User.objects.filter(person=employment.person).exists()
    seal = factories.SealFactory(enterprise=employment.enterprise)
    approval = factories.SealApprovalFactory(
        seal=seal,
        user=factories.SealGrantFactory(seal=seal, power="use").user,
    )
    assert approval.status == "pending"
    token, plaintext = factories.ApiTokenFactory.with_secret(enterprise=employment.enterprise)
    assert plaintext.startswith("acc_") and token.enterprise == employment.enterprise
    batch = factories.BatchFactory(enterprise=employment.enterprise, rows=2)
    assert (batch.status, batch.total_rows, batch.bad_rows) == ("checked", 2, 0)


def test_the_matrix_fails_when_an_outsider_is_shown_the_object():
    # The officer of the enterprise's own street may see it: as an "outsider" the case fails.
    world = access.new_world(lambda world: None, ("street_mine",))
    url = ObjectUrl("get", "/enterprises/{enterprise}/")
    with pytest.raises(AssertionError, match="200 != 404"):
        access._outsider_case(_checker(world), url, "street_mine")
    access._outsider_case(_checker(world), url, "hr_other")  # and passes for a real outsider


def test_the_matrix_fails_when_the_owner_control_is_wrong():
    world = access.new_world(lambda world: None)
    wrong = ObjectUrl("get", "/enterprises/{enterprise}/", owner_status=201)
    with pytest.raises(AssertionError, match="not found in"):
        access._owner_case(_checker(world), wrong, "owner")


def test_the_snapshot_sees_a_changed_field_and_a_new_row():
    world = access.new_world(lambda world: None)
    before = access.snapshot(world)
    Enterprise.objects.filter(pk=world.enterprise.pk).update(address="福田区改过路 1 号")
    assert access.snapshot(world) != before
    changed = access.snapshot(world)
    factories.PersonFactory()
    assert access.snapshot(world) != changed


def test_a_declaration_naming_an_unknown_outsider_is_refused():
    with pytest.raises(AssertionError, match="unknown callers"):

        class TestTypo(access.AccessMatrix):
            urls = [ObjectUrl("get", "/enterprises/{enterprise}/", holes={"hr_othr": "typo"})]


def test_the_query_helper_fails_on_rows_the_list_does_not_show():
    world = World()
    world.enterprise = factories.EnterpriseFactory()
    world.add("enterprise", world.enterprise)
    world.users["owner"] = factories.UserFactory(role=Role.HR, enterprise=world.enterprise)
    endpoint = queries.ListEndpoint(
        "/api/v1/enterprises/{enterprise}/webhooks", lambda world, n: ["not-listed"] * n
    )
    with pytest.raises(AssertionError, match="rows made but not listed"):
        queries._assert_flat(_checker(world), endpoint)


def test_the_query_helper_fails_when_queries_grow_with_the_rows(client):
    """A planted N+1: every time the list reads the tokens, one more query runs per token."""
    world = World()
    world.enterprise = factories.EnterpriseFactory()
    world.add("enterprise", world.enterprise)
    owner = factories.UserFactory(role=Role.HR, enterprise=world.enterprise)
    world.users["owner"] = owner
    made: list[str] = []

    def rows(world, n):
        for _ in range(n):
            made.append(factories.ApiTokenFactory(enterprise=world.enterprise, created_by=owner))
        return [t.name for t in made[-n:]]

    def per_row_query(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("SELECT") and '"identity_apitoken"' in sql and "COUNT" not in sql:
            for _token in made:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
        return result

    endpoint = queries.ListEndpoint("/api/v1/enterprises/{enterprise}/tokens", rows)
    with connection.execute_wrapper(per_row_query):
        with pytest.raises(AssertionError, match="queries for 3 rows"):
            queries._assert_flat(_checker(world), endpoint)
