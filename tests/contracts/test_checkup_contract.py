"""The check-up's public contract (issue #11): a request schema, unknown fields refused, the
minimum wage of the start date in all three doors, one reckoning of "late", and the shipped
Shenzhen minimum-wage rows with their sources."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from freezegun import freeze_time
from openpyxl import Workbook

from accord.contracts import batch as sheet
from accord.contracts import checkup, rules
from accord.contracts.models import MinimumWage
from accord.envelopes import workspace

pytestmark = pytest.mark.django_db
URL = "/api/v1/contracts/check"
TODAY = dt.date(2031, 3, 3)


def lawful(**over) -> dict:
    body = {
        "term_type": "open_ended",
        "start_date": "2031-03-10",
        "monthly_wage": "8000",
    }
    body.update(over)
    return body


def test_unknown_fields_are_refused_with_422_naming_each(client):
    r = client.post(URL, lawful(monthly_wag="8000", nonCompete=3), content_type="application/json")
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "contract.unknown_field"
    assert [(p["code"], p["field"]) for p in body["problems"]] == [
        ("contract.unknown_field", "monthly_wag"),
        ("contract.unknown_field", "nonCompete"),
    ]
    assert "monthly_wag" in body["problems"][0]["message_zh"]


def test_every_declared_field_is_accepted(client):
    body = lawful(
        position_category="senior_technical",
        non_compete_months=12,
        non_compete_compensation="3000",
        penalties=["non_compete"],
        deposit="0",
        holds_id_documents=False,
        service_start_date="2031-03-10",
        prior_written_contract=False,
        consecutive_fixed_terms=0,
        worker_requested_fixed_term=False,
        signing_date="2031-03-01",
    )
    assert set(body) <= set(checkup.FIELDS)
    r = client.post(URL, body, content_type="application/json")
    assert r.status_code == 200 and r.json() == {"problems": []}


def test_openapi_entry_has_the_request_schema_of_the_declared_fields(client):
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/contracts/check"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(checkup.FIELDS)
    assert set(schema["required"]) == {"term_type", "start_date"}
    assert schema["properties"]["term_type"]["enum"] == list(rules.TERM_TYPES)
    assert schema["properties"]["penalties"]["items"]["enum"] == list(rules.PENALTY_REASONS)
    assert "422" in operation["responses"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (lawful(penalties=["fine"]), "penalties"),
        (lawful(deposit="a lot"), "deposit"),
        (lawful(weekly_hours="200"), "weekly_hours"),
        (lawful(consecutive_fixed_terms="two"), "consecutive_fixed_terms"),
        (lawful(service_start_date="2031-04-01"), "service_start_date"),
    ],
)
def test_malformed_new_fields_are_422_with_the_field(client, body, field):
    r = client.post(URL, body, content_type="application/json")
    assert r.status_code == 422
    assert field in [p["field"] for p in r.json()["problems"]]


# ---- LL Art. 48, MWP Art. 12: the standard in force on the start date, in all three doors ----


def _sheet(row: dict) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append([zh for _k, zh, _en, _r in sheet.COLUMNS])
    ws.append([row.get(k, "") for k, _zh, _en, _r in sheet.COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("start", "below"), [("2031-04-30", False), ("2031-05-01", True)])
def test_mwp12_minimum_wage_in_force_on_the_start_date_in_checkup_draft_and_batch(
    client, start, below
):
    MinimumWage.objects.create(
        effective_from=dt.date(2031, 5, 1),
        monthly_fen=300000,
        hourly_fen=2800,
        source="测试用：2031 年 5 月 1 日起的新标准",
    )
    client.get("/api/v1/openapi.json")  # build the API's schemas before time stands still
    expected = ["contract.wage_below_minimum"] if below else []
    with freeze_time(dt.datetime.combine(TODAY, dt.time(10), tzinfo=dt.UTC)):
        body = {"term_type": "open_ended", "start_date": start, "monthly_wage": "2900"}
        via_api = client.post(URL, body, content_type="application/json").json()["problems"]
        draft = checkup.parse_draft(body)
        via_draft = checkup.findings(draft, TODAY)
        checked = sheet.check_file(
            _sheet(
                {
                    "name": "王五",
                    "id_number": "11010519491231002X",
                    "phone": "13800000009",
                    "job_title": "工程师",
                    "place": "深圳市福田区",
                    "term_type": "无固定期限",
                    "start_date": start,
                    "monthly_wage": "2900",
                }
            ),
            today=TODAY,
        )
    assert [p["code"] for p in via_api] == expected
    assert [f.code for f in via_draft] == expected
    assert [p.code for p in checked.problems] == expected
    if below:
        assert "2031 年 5 月 1 日" in via_api[0]["message_zh"]


# ---- LCL Art. 10, 82; Regs Art. 6–7: "late" is one reckoning for the check-up and workspace ---


@pytest.mark.parametrize(
    "work_start",
    [dt.date(2031, 1, 1), dt.date(2031, 1, 31), dt.date(2031, 2, 28), dt.date(2032, 2, 29)],
)
def test_lcl10_82_late_from_the_same_day_in_checkup_and_workspace(client, work_start):
    due, *_ = workspace.exposure_for(work_start, work_start, Decimal("8000"))
    assert due == rules.written_contract_due(work_start)
    for signing, late in ((due, False), (due + dt.timedelta(days=1), True)):
        body = {
            "term_type": "open_ended",
            "start_date": work_start.isoformat(),
            "monthly_wage": "8000",
            "signing_date": signing.isoformat(),
        }
        codes = [
            p["code"]
            for p in client.post(URL, body, content_type="application/json").json()["problems"]
        ]
        # The workspace shows a row as overdue once its days_left (due − today) is negative.
        assert ("contract.concluded_late" in codes) is late
        assert ((due - signing).days < 0) is late
    # A 1 January start: due by 31 January; day 32 (1 February) is late.
    assert rules.written_contract_due(dt.date(2031, 1, 1)) == dt.date(2031, 1, 31)


def test_lcl82_regs7_double_wages_stop_at_eleven_months_in_both():
    start = dt.date(2030, 1, 1)
    for years in (1, 2, 5):
        today = rules.add_months(start, 12 * years)
        _due, months, extra, deemed = workspace.exposure_for(start, today, Decimal("8000"))
        assert months == rules.double_wage_months(start, today) == 11
        assert extra == 88000 and deemed


# ---- the shipped Shenzhen data (contracts migrations 0002, 0006) --------------------------------


def test_shipped_shenzhen_rows_each_carry_source_and_confidence():
    rows = list(MinimumWage.objects.filter(region="shenzhen").order_by("effective_from"))
    assert [r.effective_from for r in rows][:5] == [
        dt.date(2015, 3, 1),
        dt.date(2017, 6, 1),
        dt.date(2018, 7, 1),
        dt.date(2021, 12, 1),
        dt.date(2025, 3, 1),
    ]
    for row in rows:
        assert row.source and row.note and "LAW.md" in row.note
        assert row.monthly_confidence in MinimumWage.Confidence.values
    by_day = {r.effective_from: r for r in rows}
    assert dt.date(2022, 7, 1) not in by_day  # the 2,360 standard is in force from 2021-12-01
    assert by_day[dt.date(2021, 12, 1)].monthly_fen == 236000
    assert by_day[dt.date(2025, 3, 1)].hourly_confidence == "unconfirmed"
    # Nothing is marked confirmed: LAW.md gives no source for a Shenzhen figure.
    assert not [r for r in rows if "confirmed" in (r.monthly_confidence, r.hourly_confidence)]
    assert MinimumWage.in_force(dt.date(2022, 1, 15)).monthly_fen == 236000


def test_an_unconfirmed_hourly_standard_says_so_where_it_is_quoted(client):
    body = {"term_type": "part_time", "start_date": "2031-03-10", "hourly_wage": "20"}
    with freeze_time("2031-03-03 10:00:00"):
        problem = checkup.check_up(body)[0]
    assert problem["code"] == "contract.hourly_wage_below_minimum"
    assert "未经核实" in problem["message_zh"] and "not yet confirmed" in problem["message_en"]


@pytest.mark.django_db(transaction=True)
def test_migration_0006_moves_the_shipped_2360_row_and_leaves_an_officers_rows_alone():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("contracts", "0005_minimumwage_confidence")])  # 0006 back: data kept
    executor.loader.build_graph()
    module = __import__(
        "accord.contracts.migrations.0006_shenzhen_minimum_wage_sources", fromlist=["SHIPPED_0002"]
    )
    MinimumWage.objects.filter(region="shenzhen").delete()
    # As 0002 left them, except the 2025 row an officer has since set from the official notice.
    for day, monthly, hourly in (
        (dt.date(2018, 7, 1), 220000, 2030),
        (dt.date(2022, 7, 1), 236000, 2220),
    ):
        MinimumWage.objects.create(
            effective_from=day,
            monthly_fen=monthly,
            hourly_fen=hourly,
            source=module.SHIPPED_0002[day],
        )
    MinimumWage.objects.create(
        effective_from=dt.date(2025, 3, 1),
        monthly_fen=252000,
        hourly_fen=2400,
        source="官方通知原文（局核对）",
        monthly_confidence="confirmed",
        hourly_confidence="confirmed",
    )
    executor = MigrationExecutor(connection)
    executor.migrate([("contracts", "0006_shenzhen_minimum_wage_sources")])
    by_day = {r.effective_from: r for r in MinimumWage.objects.filter(region="shenzhen")}
    assert dt.date(2022, 7, 1) not in by_day
    assert by_day[dt.date(2021, 12, 1)].monthly_fen == 236000
    assert by_day[dt.date(2018, 7, 1)].monthly_confidence == "reported"
    officer = by_day[dt.date(2025, 3, 1)]
    assert (officer.hourly_fen, officer.hourly_confidence) == (2400, "confirmed")
    assert dt.date(2015, 3, 1) in by_day and dt.date(2017, 6, 1) in by_day
