"""Registering employees and ending employment: one person across employers, events for insights."""

import pytest

from accord.core.errors import Conflict, InvalidInput
from accord.core.models import OutboxEvent
from accord.identity import employment
from accord.identity.models import Employment, Person, User
from tests.conftest import login, resident_id

pytestmark = pytest.mark.django_db


def test_registering_creates_person_worker_account_and_hire_event(make_enterprise):
    enterprise = make_enterprise(street="meilin", industry="52")
    e = employment.register_employee(
        enterprise,
        name="孙八",
        id_number=resident_id(801),
        phone="13600000801",
        position="店员",
        start_date="2026-11-01",
    )
    assert e.person.verification_level == "checksum"
    assert User.objects.get(person=e.person).has_usable_password() is False
    event = OutboxEvent.objects.get(topic="identity.employment.started")
    assert (event.payload["street"], event.payload["section"]) == ("meilin", "F")


def test_same_person_at_a_second_employer_is_one_person(make_enterprise):
    first, second = make_enterprise(), make_enterprise()
    a = employment.register_employee(
        first, name="周九", id_number=resident_id(802), start_date="2025-01-01"
    )
    b = employment.register_employee(
        second, name="周九", id_number=resident_id(802), start_date="2026-01-01"
    )
    assert a.person_id == b.person_id and Person.objects.count() == 1


def test_number_under_another_name_is_refused(make_enterprise):
    enterprise = make_enterprise()
    employment.register_employee(
        enterprise, name="吴十", id_number=resident_id(803), start_date="2025-01-01"
    )
    with pytest.raises(Conflict) as e:
        employment.register_employee(
            make_enterprise(), name="冒名", id_number=resident_id(803), start_date="2025-01-01"
        )
    assert e.value.code == "identity.person_name_mismatch"


def test_double_registration_and_bad_dates(make_enterprise):
    enterprise = make_enterprise()
    e = employment.register_employee(
        enterprise, name="郑一", id_number=resident_id(804), start_date="2025-05-01"
    )
    with pytest.raises(Conflict):
        employment.register_employee(
            enterprise, name="郑一", id_number=resident_id(804), start_date="2025-06-01"
        )
    with pytest.raises(InvalidInput) as bad:
        employment.end_employment(e, "2025-04-30")
    assert bad.value.code == "identity.end_before_start"
    with pytest.raises(InvalidInput) as bad:
        employment.end_employment(e, "30/04/2026")
    assert bad.value.field == "end_date"
    employment.end_employment(e, "2026-04-30", "合同到期")
    assert OutboxEvent.objects.filter(topic="identity.employment.ended").count() == 1
    with pytest.raises(Conflict):
        employment.end_employment(e, "2026-05-30")


def test_hr_registers_through_the_api_and_the_page(client, make_enterprise, make_user):
    enterprise = make_enterprise()
    login(client, make_user("hr", enterprise=enterprise, totp=False))
    r = client.post(
        f"/api/v1/enterprises/{enterprise.public_id}/employees",
        {"name": "王二", "id_number": resident_id(805), "start_date": "2026-10-01"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["person"]["name"] == "王二"
    r = client.post(
        f"/enterprises/{enterprise.public_id}/employees",
        {
            "name": "陈三",
            "id_type": "resident",
            "id_number": "110105194912310021",
            "start_date": "2026-10-01",
        },
    )
    assert r.status_code == 422 and "identity.resident_id_checksum" in r.content.decode()
    listed = client.get(f"/api/v1/enterprises/{enterprise.public_id}/employees").json()
    assert [x["person"]["name"] for x in listed["results"]] == ["王二"]
    end = client.post(
        f"/api/v1/employments/{listed['results'][0]['id']}/end",
        {"end_date": "2026-11-20"},
        content_type="application/json",
    )
    assert end.json()["end_date"] == "2026-11-20"
    assert not Employment.objects.filter(end_date__isnull=True).exists()


def test_street_officer_can_read_but_not_register(client, make_enterprise, make_user):
    enterprise = make_enterprise(street="futian")
    login(client, make_user("street_officer", street="futian"))
    url = f"/api/v1/enterprises/{enterprise.public_id}/employees"
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {"name": "x", "id_number": resident_id(806), "start_date": "2026-10-01"},
        content_type="application/json",
    )
    assert r.status_code == 403
