"""The labour-law cases a labour lawyer tries, each through the three doors of the law (issue #11).

One table. Every case runs through
- the public check-up, ``POST /api/v1/contracts/check`` (the history given as fields),
- a single draft, ``envelopes.drafting.legal_problems`` (what create_from_template and the HR
  form's live check run; the history read from the platform's records), and
- a batch row: the upload check of the spreadsheet (``contracts.batch.check_file``) and the
  send-time check of its chunk (``envelopes.batch_plan.check_rows``, the history from records),
and must come out with the same errors. Warnings are compared where they are shown (check-up
and the batch upload). Test names cite the article each case is about (../shared/LAW.md;
the Labour Contract Law = LCL, its Implementing Regulations = Regs, 最低工资规定 = MWP).

The minimum wage is the shipped Shenzhen data in force on the start dates (2,520 yuan a month,
23.7 an hour from 2025-03-01). History (a worker employed here before, earlier contracts) is
written as completed envelope rows: the signing flow that makes them is tested elsewhere, and
signing 60 contracts here would test nothing more.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from freezegun import freeze_time
from openpyxl import Workbook

from accord.contracts import batch as sheet
from accord.contracts.rules import add_months
from accord.envelopes import batch_plan, batches, drafting
from accord.envelopes.models import Batch, Envelope
from accord.identity.models import Employment
from tests.support.factories import published
from tests.support.ids import unique_resident_id

pytestmark = pytest.mark.django_db

TODAY = dt.date(2031, 3, 3)
S = dt.date(2031, 3, 10)  # the usual start: a week ahead
serial = itertools.count(5000)

KIND = {
    "fixed": "labour_fixed",
    "open_ended": "labour_open_ended",
    "task": "labour_task",
    "part_time": "labour_part_time",
}
TEMPLATE_CODE = {
    "fixed": "labour-fixed",
    "open_ended": "labour-open-ended",
    "task": "labour-task",
    "part_time": "labour-part-time",
}


def day(d: dt.date, months: int = 0, days: int = 0) -> dt.date:
    return add_months(d, months) + dt.timedelta(days=days)


def base(**over) -> dict[str, Any]:
    """A lawful three-year fixed-term contract (from S), with six months' probation at 80 %."""
    start = over.get("start_date", S)
    fields = {
        "term_type": "fixed",
        "start_date": start,
        "end_date": day(start, 36, -1),
        "probation_end_date": day(start, 6, -1),
        "monthly_wage": "8000",
        "probation_wage": "6400",
    }
    fields.update(over)
    return {k: v for k, v in fields.items() if v is not None}


def part_time(**over) -> dict[str, Any]:
    fields = {"term_type": "part_time", "start_date": S, "hourly_wage": "30", "weekly_hours": "20"}
    fields.update(over)
    return {k: v for k, v in fields.items() if v is not None}


def open_ended(**over) -> dict[str, Any]:
    return base(**{"term_type": "open_ended", "end_date": None, **over})


@dataclass
class History:
    """The worker's past with the employer, as the platform holds it."""

    service_start: dt.date
    fixed_terms: int = 0  # completed fixed-term contracts, in a row
    open_ended_before: bool = False
    had_probation: bool = False


@dataclass
class Case:
    name: str
    fields: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    history: History | None = None
    says: dict[str, str] = field(default_factory=dict)  # code -> words its message contains


NC = {"position_category": "senior_technical", "non_compete_months": 12}

CASES = [
    # ---- term (LCL Art. 13, 14) --------------------------------------------------------------
    Case("lcl13_lawful_three_year_fixed_term_with_six_month_probation", base()),
    Case("lcl13_fixed_term_needs_an_end_date", base(end_date=None), ["contract.end_date_required"]),
    Case(
        "lcl13_end_before_start",
        base(end_date=day(S, 0, -1), probation_end_date=None),
        ["contract.end_before_start"],
    ),
    Case(
        "lcl14_open_ended_has_no_end_date",
        open_ended(end_date=day(S, 36, -1)),
        ["contract.end_date_not_allowed"],
    ),
    # ---- probation (LCL Art. 19) -------------------------------------------------------------
    Case(
        "lcl19_1_three_months_allow_one_month",
        base(end_date=day(S, 3, -1), probation_end_date=day(S, 1, -1)),
    ),
    Case(
        "lcl19_1_three_months_refuse_a_day_more_than_one_month",
        base(end_date=day(S, 3, -1), probation_end_date=day(S, 1)),
        ["contract.probation_too_long"],
    ),
    Case(
        "lcl19_1_under_a_year_refuses_two_months",
        base(end_date=day(S, 12, -2), probation_end_date=day(S, 2, -1)),
        ["contract.probation_too_long"],
    ),
    Case(
        "lcl19_1_one_year_allows_two_months",
        base(end_date=day(S, 12, -1), probation_end_date=day(S, 2, -1)),
    ),
    Case(
        "lcl19_1_one_year_refuses_three_months",
        base(end_date=day(S, 12, -1), probation_end_date=day(S, 3, -1)),
        ["contract.probation_too_long"],
    ),
    Case(
        "lcl19_1_under_three_years_refuses_six_months",
        base(end_date=day(S, 36, -2)),
        ["contract.probation_too_long"],
    ),
    Case(
        "lcl19_1_three_years_refuse_seven_months",
        base(probation_end_date=day(S, 7, -1)),
        ["contract.probation_too_long"],
    ),
    Case("lcl19_1_open_ended_allows_six_months", open_ended()),
    Case(
        "lcl19_1_open_ended_refuses_seven_months",
        open_ended(probation_end_date=day(S, 7, -1)),
        ["contract.probation_too_long"],
    ),
    Case(
        "lcl19_3_under_three_months_no_probation",
        base(end_date=day(S, 3, -2), probation_end_date=day(S, 0, 14)),
        ["contract.probation_not_allowed"],
    ),
    Case(
        "lcl19_3_task_contract_no_probation",
        base(term_type="task", end_date=None, probation_end_date=day(S, 1, -1)),
        ["contract.probation_not_allowed"],
    ),
    Case(
        "lcl19_4_probation_only_contract_is_the_term",
        base(end_date=day(S, 6, -1), probation_end_date=day(S, 6, -1)),
        ["contract.probation_only"],
    ),
    Case(
        "lcl19_probation_cannot_end_before_the_start",
        base(probation_end_date=day(S, 0, -1)),
        ["contract.probation_before_start"],
    ),
    Case(
        "lcl19_2_one_probation_per_employer_and_worker",
        base(),
        ["contract.second_probation"],
        history=History(day(TODAY, -3), fixed_terms=1, had_probation=True),
    ),
    # ---- probation wage (LCL Art. 20) --------------------------------------------------------
    Case(
        "lcl20_probation_wage_below_80_percent",
        base(probation_wage="6000"),
        ["contract.probation_wage_below_80"],
    ),
    Case("lcl20_probation_wage_at_exactly_80_percent", base(probation_wage="6400")),
    Case(
        "lcl20_probation_wage_below_the_minimum_wage",
        base(monthly_wage="2600", probation_wage="2100"),
        ["contract.probation_wage_below_minimum"],
    ),
    Case(
        "lcl20_probation_wage_below_80_percent_and_the_minimum",
        base(monthly_wage="3000", probation_wage="2000"),
        ["contract.probation_wage_below_80", "contract.probation_wage_below_minimum"],
    ),
    # ---- the minimum wage (Labour Law Art. 48; MWP Art. 5, 12) ---------------------------------
    Case(
        "ll48_mwp12_monthly_wage_below_the_minimum",
        base(monthly_wage="2500", probation_end_date=None, probation_wage=None),
        ["contract.wage_below_minimum"],
        says={"contract.wage_below_minimum": "2520.00"},
    ),
    Case(
        "ll48_mwp12_monthly_wage_at_the_minimum",
        base(monthly_wage="2520", probation_end_date=None, probation_wage=None),
    ),
    Case(
        "ll48_mwp12_open_ended_wage_below_the_minimum",
        open_ended(monthly_wage="2000", probation_end_date=None, probation_wage=None),
        ["contract.wage_below_minimum"],
    ),
    Case(
        "ll48_mwp12_task_contract_wage_below_the_minimum",
        base(
            term_type="task",
            end_date=None,
            probation_end_date=None,
            probation_wage=None,
            monthly_wage="2400",
        ),
        ["contract.wage_below_minimum"],
    ),
    Case(
        "mwp5_full_time_hourly_wage_below_the_monthly_minimum_per_hour",
        base(monthly_wage=None, probation_end_date=None, probation_wage=None, hourly_wage="14"),
        ["contract.full_time_hourly_wage_below_minimum"],
        says={"contract.full_time_hourly_wage_below_minimum": "14.48"},
    ),
    Case(
        "mwp5_full_time_hourly_wage_at_the_monthly_minimum_per_hour",
        base(monthly_wage=None, probation_end_date=None, probation_wage=None, hourly_wage="14.49"),
    ),
    # ---- part-time work (LCL Art. 68–72) -------------------------------------------------------
    Case("lcl68_72_lawful_part_time", part_time(daily_hours="4", pay_cycle_days="15")),
    Case(
        "lcl72_mwp12_part_time_hourly_wage_below_the_minimum",
        part_time(hourly_wage="20"),
        ["contract.hourly_wage_below_minimum"],
        says={"contract.hourly_wage_below_minimum": "未经核实"},
    ),
    Case("lcl72_mwp12_part_time_hourly_wage_at_the_minimum", part_time(hourly_wage="23.7")),
    Case(
        "lcl68_part_time_over_four_hours_a_day",
        part_time(daily_hours="5"),
        ["contract.part_time_daily_hours"],
    ),
    Case(
        "lcl68_part_time_over_24_hours_a_week",
        part_time(weekly_hours="25"),
        ["contract.part_time_weekly_hours"],
    ),
    Case(
        "lcl72_part_time_paid_less_often_than_every_15_days",
        part_time(pay_cycle_days="30"),
        ["contract.part_time_pay_cycle"],
    ),
    Case(
        "lcl70_part_time_has_no_probation",
        part_time(probation_end_date=day(S, 0, 10)),
        ["contract.probation_part_time"],
    ),
    Case(
        "lcl68_72_mwp5_part_time_monthly_wage_below_the_hourly_minimum",
        part_time(hourly_wage=None, monthly_wage="1500", weekly_hours="20"),
        ["contract.part_time_monthly_wage_below_minimum"],
        says={"contract.part_time_monthly_wage_below_minimum": "17.31"},
    ),
    Case(
        "lcl68_72_mwp5_part_time_monthly_wage_covering_its_hours",
        part_time(hourly_wage=None, monthly_wage="2200", weekly_hours="20"),
    ),
    Case(
        "lcl68_72_mwp5_part_time_monthly_wage_without_hours_is_a_warning",
        part_time(hourly_wage=None, monthly_wage="1500", weekly_hours=None),
        warnings=["contract.part_time_monthly_wage_below_minimum"],
    ),
    Case(
        "lcl68_72_several_part_time_problems_at_once",
        part_time(hourly_wage="10", daily_hours="6", weekly_hours="30", pay_cycle_days="31"),
        [
            "contract.hourly_wage_below_minimum",
            "contract.part_time_daily_hours",
            "contract.part_time_weekly_hours",
            "contract.part_time_pay_cycle",
        ],
    ),
    # ---- non-compete (LCL Art. 23, 24) ---------------------------------------------------------
    Case(
        "lcl23_24_lawful_non_compete_with_monthly_compensation",
        base(**NC, non_compete_compensation="3000"),
    ),
    Case(
        "lcl24_1_non_compete_only_for_senior_or_confidential_staff",
        base(**{**NC, "position_category": "other"}, non_compete_compensation="3000"),
        ["contract.non_compete_not_eligible"],
    ),
    Case(
        "lcl24_2_non_compete_at_most_two_years",
        base(**{**NC, "non_compete_months": 25}, non_compete_compensation="3000"),
        ["contract.non_compete_too_long"],
    ),
    Case(
        "lcl24_2_non_compete_of_exactly_two_years",
        base(**{**NC, "non_compete_months": 24}, non_compete_compensation="3000"),
    ),
    Case(
        "lcl23_2_non_compete_without_monthly_compensation",
        base(**NC),
        ["contract.non_compete_compensation_missing"],
    ),
    Case(
        "lcl23_2_non_compete_with_zero_compensation",
        base(**NC, non_compete_compensation="0"),
        ["contract.non_compete_compensation_missing"],
    ),
    # ---- penalties (LCL Art. 22, 25) -----------------------------------------------------------
    Case(
        "lcl25_no_penalty_for_other_breaches",
        base(penalties=["other"]),
        ["contract.penalty_not_allowed"],
    ),
    Case(
        "lcl25_no_non_compete_penalty_without_a_non_compete",
        base(penalties=["non_compete"]),
        ["contract.penalty_not_allowed"],
    ),
    Case(
        "lcl23_25_non_compete_penalty_with_a_non_compete",
        base(**NC, non_compete_compensation="3000", penalties=["non_compete"]),
    ),
    Case(
        "lcl22_25_service_period_penalty_within_the_training_cost",
        base(penalties=["service_period"], training_cost="20000", service_period_penalty="20000"),
    ),
    Case(
        "lcl22_2_service_period_penalty_above_the_training_cost",
        base(penalties=["service_period"], training_cost="20000", service_period_penalty="30000"),
        ["contract.service_period_penalty_too_high"],
    ),
    Case(
        "lcl22_25_service_period_penalty_without_paid_training",
        base(penalties=["service_period"], training_cost="0", service_period_penalty="5000"),
        ["contract.penalty_not_allowed"],
    ),
    # ---- deposits and documents (LCL Art. 9, 84) -----------------------------------------------
    Case("lcl9_84_2_no_deposit", base(deposit="500"), ["contract.deposit_not_allowed"]),
    Case(
        "lcl9_84_1_no_holding_of_id_documents",
        base(holds_id_documents=True),
        ["contract.id_document_held"],
    ),
    Case(
        "lcl9_84_deposit_and_documents_together",
        base(deposit="1000", holds_id_documents=True),
        ["contract.id_document_held", "contract.deposit_not_allowed"],
    ),
    # ---- the written contract, late (LCL Art. 10, 14 ¶3, 82; Regs Art. 6, 7) --------------------
    Case(
        "lcl10_written_on_the_last_day_of_the_first_month_is_in_time",
        base(start_date=TODAY),
        history=History(day(TODAY, -1, 1)),
    ),
    Case(
        "lcl10_82_regs6_written_on_day_32_is_late_double_wages",
        base(start_date=TODAY),
        warnings=["contract.concluded_late"],
        history=History(day(TODAY, -1)),
    ),
    Case(
        "lcl82_regs7_double_wages_at_most_eleven_months",
        open_ended(start_date=TODAY),
        warnings=["contract.concluded_late", "contract.deemed_open_ended"],
        history=History(day(TODAY, -36)),
        says={"contract.concluded_late": "11.0"},
    ),
    Case(
        "lcl14_3_regs7_fixed_term_written_a_year_late_is_deemed_open_ended",
        base(start_date=TODAY),
        ["contract.deemed_open_ended"],
        ["contract.concluded_late"],
        history=History(day(TODAY, -14)),
    ),
    Case(
        "lcl14_3_regs7_deemed_open_ended_on_the_first_anniversary",
        base(start_date=TODAY),
        ["contract.deemed_open_ended"],
        ["contract.concluded_late"],
        history=History(day(TODAY, -12)),
    ),
    Case(
        "lcl14_3_regs7_a_day_before_the_anniversary_is_only_late",
        base(start_date=TODAY),
        warnings=["contract.concluded_late"],
        history=History(day(TODAY, -12, 1)),
    ),
    Case(
        "lcl14_3_regs7_task_contract_a_year_late_is_deemed_open_ended",
        base(term_type="task", start_date=TODAY, end_date=None, probation_end_date=None),
        ["contract.deemed_open_ended"],
        ["contract.concluded_late"],
        history=History(day(TODAY, -13)),
    ),
    Case(
        "lcl10_a_renewal_after_a_written_contract_is_not_late",
        base(),
        history=History(day(TODAY, -36), fixed_terms=1),
    ),
    Case(
        "lcl69_part_time_needs_no_written_contract",
        part_time(start_date=TODAY),
        history=History(day(TODAY, -14)),
    ),
    # ---- the right to an open-ended contract (LCL Art. 14 ¶2, 82 ¶2) ----------------------------
    Case(
        "lcl14_2_1_82_2_ten_years_of_service_require_an_open_ended_contract",
        base(probation_end_date=None, probation_wage=None),
        ["contract.open_ended_required"],
        history=History(day(S, -120), fixed_terms=1),
    ),
    Case(
        "lcl14_2_1_a_day_short_of_ten_years",
        base(probation_end_date=None, probation_wage=None),
        history=History(day(S, -120, 1), fixed_terms=1),
    ),
    Case(
        "lcl14_2_1_ten_years_but_the_worker_asks_for_a_fixed_term",
        base(probation_end_date=None, probation_wage=None, worker_requested_fixed_term=True),
        history=History(day(S, -120), fixed_terms=1),
    ),
    Case(
        "lcl14_2_3_82_2_after_two_fixed_terms_the_next_is_open_ended",
        base(probation_end_date=None, probation_wage=None),
        ["contract.open_ended_required"],
        history=History(day(S, -48), fixed_terms=2),
    ),
    Case(
        "lcl14_2_3_82_2_after_two_fixed_terms_no_task_contract_either",
        base(term_type="task", end_date=None, probation_end_date=None, probation_wage=None),
        ["contract.open_ended_required"],
        history=History(day(S, -48), fixed_terms=2),
    ),
    Case(
        "lcl14_2_3_after_two_fixed_terms_an_open_ended_contract_is_lawful",
        open_ended(probation_end_date=None, probation_wage=None),
        history=History(day(S, -48), fixed_terms=2),
    ),
    Case(
        "lcl14_2_3_after_one_fixed_term_a_second_may_be_fixed",
        base(probation_end_date=None, probation_wage=None),
        history=History(day(S, -36), fixed_terms=1),
    ),
    Case(
        "lcl14_2_3_an_open_ended_contract_breaks_the_run_of_fixed_terms",
        base(probation_end_date=None, probation_wage=None),
        history=History(day(S, -60), fixed_terms=0, open_ended_before=True),
    ),
    Case(
        "lcl14_2_3_the_worker_may_ask_for_a_third_fixed_term",
        base(probation_end_date=None, probation_wage=None, worker_requested_fixed_term=True),
        history=History(day(S, -48), fixed_terms=2),
    ),
]
assert len({c.name for c in CASES}) == len(CASES) >= 54


# ---- the history, as the check-up's fields and as the platform's records -------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def checkup_fields(case: Case) -> dict[str, Any]:
    data = {k: _iso(v) for k, v in case.fields.items()}
    h = case.history
    if h is not None:
        if h.service_start < case.fields["start_date"]:
            data["service_start_date"] = h.service_start.isoformat()
        if h.fixed_terms or h.open_ended_before:
            data["prior_written_contract"] = True
        if h.fixed_terms:
            data["consecutive_fixed_terms"] = h.fixed_terms
        if h.had_probation:
            data["had_probation_with_employer"] = True
    data["signing_date"] = TODAY.isoformat()
    return data


@dataclass
class World:
    enterprise: Any
    hr: Any
    person: Any
    job: Employment | None
    id_number: str
    phone: str
    name: str


def world(case: Case, make_enterprise, make_person, make_user) -> World:
    enterprise = make_enterprise(name="深圳市福田区劳动法案例有限公司")
    hr = make_user("hr", enterprise=enterprise)
    n = next(serial)
    id_number, phone, name = unique_resident_id(n), f"135{n:08d}", f"案例工人{n}"
    person, job = None, None
    h = case.history
    if h is not None:
        person = make_person(name=name, phone=phone, id_number=id_number)
        job = Employment.objects.create(
            person=person, enterprise=enterprise, start_date=h.service_start
        )
        terms = [("labour_open_ended", None)] if h.open_ended_before else []
        terms += [("labour_fixed", i) for i in range(h.fixed_terms)]
        begin = h.service_start
        for i, (kind, _) in enumerate(terms):
            end = day(begin, 12, -1)
            values = {"term.start_date": begin.isoformat(), "term.end_date": end.isoformat()}
            if kind == "labour_open_ended":
                values.pop("term.end_date")
            if h.had_probation and i == 0:
                values["probation.end_date"] = day(begin, 1, -1).isoformat()
            Envelope.objects.create(
                enterprise=enterprise,
                person=person,
                employment=job,
                number=f"CASE{n}-{i}",
                title="历史合同",
                kind=kind,
                status=Envelope.Status.COMPLETED,
                values=values,
                completed_at=dt.datetime.combine(begin, dt.time(9), tzinfo=dt.UTC),
            )
            begin = end + dt.timedelta(days=1)
    return World(enterprise, hr, person, job, id_number, phone, name)


# ---- the three doors ---------------------------------------------------------------------


def via_checkup(client, case: Case) -> list[dict]:
    r = client.post(
        "/api/v1/contracts/check", checkup_fields(case), content_type="application/json"
    )
    assert r.status_code == 200, r.json()
    return r.json()["problems"]


def via_draft(case: Case, w: World, make_person) -> list[str]:
    person = w.person or make_person(name=w.name, phone=w.phone, id_number=w.id_number)
    fields = {k: _iso(v) for k, v in case.fields.items()}
    fields.update(job_title="工程师", place="深圳市福田区")
    _draft, problems = drafting.legal_problems(
        KIND[case.fields["term_type"]], fields, enterprise=w.enterprise, person=person
    )
    return [p.code for p in problems]


BATCH_WORDS = {
    "term_type": {
        "fixed": "固定期限",
        "open_ended": "无固定期限",
        "task": "以完成一定工作任务为期限",
        "part_time": "非全日制",
    },
    "position_category": {v: k for k, v in sheet.POSITION_CATEGORIES.items()},
}


def batch_cell(key: str, value: Any) -> Any:
    if key in BATCH_WORDS:
        return BATCH_WORDS[key][value]
    if key == "penalties":
        words = {v: k for k, v in sheet.PENALTY_REASONS.items()}
        return "、".join(words[v] for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return _iso(value)


def via_batch(case: Case, w: World) -> tuple[list[str], list[str]]:
    values = {
        "name": w.name,
        "id_type": "居民身份证",
        "id_number": w.id_number,
        "phone": w.phone,
        "job_title": "工程师",
        "place": "深圳市福田区",
        **{k: batch_cell(k, v) for k, v in case.fields.items()},
    }
    book = Workbook()
    ws = book.active
    ws.append([zh for _k, zh, _en, _r in sheet.COLUMNS])
    ws.append([values.get(k, "") for k, _zh, _en, _r in sheet.COLUMNS])
    out = io.BytesIO()
    book.save(out)
    checked = sheet.check_file(out.getvalue(), today=TODAY)
    errors = [p.code for p in checked.problems]
    warnings = [p.code for p in checked.warnings]
    for p in checked.problems:  # every problem names a column of the spreadsheet
        assert p.column in sheet.COLUMN_HEADER, p
    if checked.rows:
        batch = Batch.objects.create(
            enterprise=w.enterprise,
            template_version=published(TEMPLATE_CODE[case.fields["term_type"]]),
            file_sha256="0" * 64,
            created_by=w.hr,
        )
        plan = batch_plan.check_rows(batch, [batches._row_dict(r) for r in checked.rows])
        for failures in plan.failures.values():
            for f in failures:
                assert f["column"] in sheet.COLUMN_HEADER, f
                if f["code"] not in errors:
                    errors.append(f["code"])
    return errors, warnings


def _sorted(codes: list[str]) -> list[str]:
    return sorted(set(codes))


@pytest.fixture
def frozen(client):
    # The API's schemas are built on its first request: build them before time stands still
    # (pydantic cannot build a schema of freezegun's fake datetime).
    client.get("/api/v1/openapi.json")
    with freeze_time(dt.datetime.combine(TODAY, dt.time(10), tzinfo=dt.UTC)):
        yield


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_checkup_api(case, client, frozen):
    problems = via_checkup(client, case)
    found = {p["code"]: p for p in problems}
    assert _sorted([p["code"] for p in problems if p["severity"] == "error"]) == _sorted(
        case.errors
    )
    assert _sorted([p["code"] for p in problems if p["severity"] == "warning"]) == _sorted(
        case.warnings
    )
    for code, words in case.says.items():
        assert words in found[code]["message_zh"], found[code]
    for p in problems:
        assert p["article"].startswith("《") and p["message_en"], p


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_single_draft(case, frozen, make_enterprise, make_person, make_user):
    w = world(case, make_enterprise, make_person, make_user)
    assert _sorted(via_draft(case, w, make_person)) == _sorted(case.errors)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_batch_row(case, frozen, make_enterprise, make_person, make_user):
    w = world(case, make_enterprise, make_person, make_user)
    errors, warnings = via_batch(case, w)
    assert _sorted(errors) == _sorted(case.errors)
    if case.history is None:  # the upload check knows no history; the sending step does
        assert _sorted(warnings) == _sorted(case.warnings)


# ---- a renewal (续订书) is a fixed term too: LCL Art. 14 ¶2, 82 ¶2 ----------------------------


@pytest.mark.parametrize(
    ("fixed_terms", "asked", "refused"),
    [(1, False, False), (2, False, True), (2, True, False)],
)
def test_lcl14_2_3_82_2_a_renewal_after_two_fixed_terms_must_be_open_ended(
    frozen, make_enterprise, make_person, make_user, fixed_terms, asked, refused
):
    case = Case("renewal", base(), history=History(day(TODAY, -48), fixed_terms=fixed_terms))
    w = world(case, make_enterprise, make_person, make_user)
    fields = {"renewal_end_date": day(TODAY, 36).isoformat()}
    if asked:
        fields["worker_requested_fixed_term"] = True
    _none, problems = drafting.legal_problems(
        "renewal", fields, enterprise=w.enterprise, person=w.person, employment=w.job
    )
    assert [p.code for p in problems] == (["contract.open_ended_required"] if refused else [])


def test_lcl14_2_1_a_renewal_after_ten_years_must_be_open_ended(
    frozen, make_enterprise, make_person, make_user
):
    case = Case("renewal", base(), history=History(day(TODAY, -121), fixed_terms=1))
    w = world(case, make_enterprise, make_person, make_user)
    _none, problems = drafting.legal_problems(
        "renewal",
        {"renewal_end_date": day(TODAY, 12).isoformat()},
        enterprise=w.enterprise,
        person=w.person,
        employment=w.job,
    )
    assert [p.code for p in problems] == ["contract.open_ended_required"]
