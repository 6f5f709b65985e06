"""POST /api/v1/contracts/check — the public contract check-up (合同体检)."""

import pytest
from freezegun import freeze_time

from accord.contracts.models import MinimumWage

pytestmark = pytest.mark.django_db
URL = "/api/v1/contracts/check"


def post(client, body):
    return client.post(URL, body, content_type="application/json")


def test_lawful_draft_has_no_problems(client):
    r = post(
        client,
        {
            "term_type": "fixed",
            "start_date": "2030-01-01",
            "end_date": "2032-12-31",
            "probation_end_date": "2030-02-28",
            "monthly_wage": "8000.00",
            "probation_wage": "6400.00",
        },
    )
    assert r.status_code == 200 and r.json() == {"problems": []}


def test_problems_carry_code_article_messages_and_field(client):
    r = post(
        client,
        {
            "term_type": "fixed",
            "start_date": "2030-01-01",
            "end_date": "2030-12-31",
            "probation_end_date": "2030-06-30",
            "monthly_wage": "8000",
            "probation_wage": "5000",
        },
    )
    problems = r.json()["problems"]
    assert [p["code"] for p in problems] == [
        "contract.probation_too_long",
        "contract.probation_wage_below_80",
    ]
    assert (
        problems[0]["article"] == "《劳动合同法》第十九条第一款"
        and problems[0]["field"] == "probation_end_date"
    )


def test_minimum_wage_comes_from_the_data_in_force(client):
    latest = MinimumWage.in_force(__import__("datetime").date(2030, 1, 1))
    below = f"{latest.monthly_fen / 100 - 1:.2f}"
    r = post(client, {"term_type": "open_ended", "start_date": "2030-01-01", "monthly_wage": below})
    assert [p["code"] for p in r.json()["problems"]] == ["contract.wage_below_minimum"]
    assert latest.source in r.json()["problems"][0]["message_zh"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"term_type": "forever", "start_date": "2030-01-01"}, "term_type"),
        ({"term_type": "fixed", "start_date": "01/01/2030"}, "start_date"),
        (
            {"term_type": "fixed", "start_date": "2030-01-01", "monthly_wage": "lots"},
            "monthly_wage",
        ),
        ({"term_type": "fixed", "start_date": "2030-01-01", "monthly_wage": "-5"}, "monthly_wage"),
        ({"term_type": "fixed"}, "start_date"),
    ],
)
def test_malformed_drafts_are_422_with_the_field(client, body, field):
    r = post(client, body)
    assert r.status_code == 422
    assert field in [p["field"] for p in r.json()["problems"]]


def test_not_json_is_a_4xx(client):
    r = client.post(URL, "nope", content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "core.malformed_json"
    assert post(client, [1, 2]).status_code == 422


def test_check_up_is_rate_limited(client):
    body = {"term_type": "open_ended", "start_date": "2030-01-01", "monthly_wage": "9000"}
    # The limit counts per clock minute: hold the clock inside one, however slow the machine.
    with freeze_time("2030-01-01 10:00:30", tick=False):
        statuses = [post(client, body).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
