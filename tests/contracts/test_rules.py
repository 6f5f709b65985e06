"""Legal checks of a contract draft, one table per article (../shared/LAW.md)."""

import datetime as dt
from decimal import Decimal as D

import pytest

from accord.contracts.rules import (
    ContractDraft,
    MinimumWage,
    add_months,
    check,
    max_probation_months,
)

SZ_2025 = MinimumWage(D("2520"), D("23.7"), dt.date(2025, 3, 1), "test source")
START = dt.date(2026, 1, 1)
TODAY = dt.date(2026, 1, 1)


def codes(draft: ContractDraft) -> list[str]:
    return [f.code for f in check(draft, SZ_2025, today=TODAY)]


def fixed(end: dt.date, probation_end: dt.date | None = None, **kw) -> ContractDraft:
    kw.setdefault("monthly_wage", D("6000"))
    kw.setdefault("probation_wage", D("6000") if probation_end else None)
    return ContractDraft("fixed", START, end, probation_end, **kw)


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)


# Art. 19 para. 1: probation by term. The last day of a three-month contract from 1 Jan is 31 Mar.
@pytest.mark.parametrize(
    ("end", "max_months"),
    [
        (dt.date(2026, 3, 30), 0),  # one day short of 3 months
        (dt.date(2026, 3, 31), 1),  # exactly 3 months
        (dt.date(2026, 12, 30), 1),  # one day short of a year
        (dt.date(2026, 12, 31), 2),  # exactly 1 year
        (dt.date(2028, 12, 30), 2),  # one day short of 3 years
        (dt.date(2028, 12, 31), 6),  # exactly 3 years
    ],
)
def test_art19_probation_limit_by_term_edges(end, max_months):
    assert max_probation_months(fixed(end)) == max_months


def test_art19_open_ended_allows_six_months_and_no_more():
    ok = ContractDraft("open_ended", START, None, dt.date(2026, 6, 30), D("8000"), D("6400"))
    too_long = ContractDraft("open_ended", START, None, dt.date(2026, 7, 1), D("8000"), D("6400"))
    assert codes(ok) == []
    assert codes(too_long) == ["contract.probation_too_long"]


@pytest.mark.parametrize(
    ("end", "probation_end", "expected"),
    [
        (dt.date(2026, 3, 31), dt.date(2026, 1, 31), []),  # 3 months, 1 month
        (dt.date(2026, 3, 31), dt.date(2026, 2, 1), ["contract.probation_too_long"]),
        (dt.date(2026, 12, 31), dt.date(2026, 2, 28), []),  # 1 year, 2 months
        (dt.date(2026, 12, 31), dt.date(2026, 3, 1), ["contract.probation_too_long"]),
        (dt.date(2028, 12, 31), dt.date(2026, 6, 30), []),  # 3 years, 6 months
        (
            dt.date(2026, 3, 30),
            dt.date(2026, 1, 15),
            ["contract.probation_not_allowed"],
        ),  # under 3 months
    ],
)
def test_art19_probation_length_table(end, probation_end, expected):
    assert codes(fixed(end, probation_end)) == expected


def test_art19_para3_no_probation_for_task_contracts():
    draft = ContractDraft("task", START, None, dt.date(2026, 1, 15), D("6000"), D("6000"))
    assert codes(draft) == ["contract.probation_not_allowed"]


def test_art19_para2_one_probation_per_employer_and_worker():
    draft = fixed(dt.date(2028, 12, 31), dt.date(2026, 3, 31), had_probation_with_employer=True)
    assert codes(draft) == ["contract.second_probation"]


def test_art19_para4_a_contract_of_only_probation_has_no_probation():
    assert codes(fixed(dt.date(2026, 6, 30), dt.date(2026, 6, 30))) == ["contract.probation_only"]


# Art. 20: probation wage ≥ 80 % of the agreed wage and ≥ the local minimum wage.
@pytest.mark.parametrize(
    ("wage", "probation_wage", "expected"),
    [
        ("6000", "4800", []),  # exactly 80 %
        ("6000", "4799.99", ["contract.probation_wage_below_80"]),
        (
            "3000",
            "2519.99",
            ["contract.probation_wage_below_minimum"],
        ),  # 80 % = 2400 but below 2520
        ("3000", "2520", []),
    ],
)
def test_art20_probation_wage(wage, probation_wage, expected):
    draft = fixed(
        dt.date(2028, 12, 31),
        dt.date(2026, 3, 31),
        monthly_wage=D(wage),
        probation_wage=D(probation_wage),
    )
    assert codes(draft) == expected


def test_minimum_wage_cites_its_source():
    findings = check(fixed(dt.date(2026, 12, 31), monthly_wage=D("2519")), SZ_2025, today=TODAY)
    assert [f.code for f in findings] == ["contract.wage_below_minimum"]
    assert "2520.00" in findings[0].message_zh and "test source" in findings[0].message_en


# Art. 68, 70, 72: part-time work.
@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        (
            {
                "daily_hours": D("4"),
                "weekly_hours": D("24"),
                "pay_cycle_days": 15,
                "hourly_wage": D("23.7"),
            },
            [],
        ),
        ({"daily_hours": D("4.5")}, ["contract.part_time_daily_hours"]),
        ({"weekly_hours": D("24.5")}, ["contract.part_time_weekly_hours"]),
        ({"pay_cycle_days": 16}, ["contract.part_time_pay_cycle"]),
        ({"hourly_wage": D("23.69")}, ["contract.hourly_wage_below_minimum"]),
        ({"probation_end_date": dt.date(2026, 1, 10)}, ["contract.probation_part_time"]),
    ],
)
def test_art68_to_72_part_time(kw, expected):
    assert codes(ContractDraft("part_time", START, **kw)) == expected


# Art. 23–24: non-compete only for eligible staff and at most two years.
@pytest.mark.parametrize(
    ("category", "months", "expected"),
    [
        ("senior_technical", 24, []),
        ("senior_manager", 25, ["contract.non_compete_too_long"]),
        ("other", 6, ["contract.non_compete_not_eligible"]),
        ("other", 0, []),
    ],
)
def test_art24_non_compete(category, months, expected):
    draft = fixed(
        dt.date(2028, 12, 31),
        non_compete_months=months,
        position_category=category,
        non_compete_compensation=D("3000") if months else None,
    )
    assert codes(draft) == expected


def test_art10_art82_late_contract_is_a_warning_after_the_first_error():
    draft = fixed(dt.date(2028, 12, 31), monthly_wage=D("2000"), signing_date=dt.date(2026, 2, 2))
    findings = check(draft, SZ_2025, today=TODAY)
    assert [(f.code, f.severity) for f in findings] == [
        ("contract.wage_below_minimum", "error"),
        ("contract.concluded_late", "warning"),
    ]


def test_fixed_term_needs_a_sane_end_date():
    assert codes(ContractDraft("fixed", START, None)) == ["contract.end_date_required"]
    assert codes(ContractDraft("fixed", START, dt.date(2025, 12, 31))) == [
        "contract.end_before_start"
    ]


def test_every_finding_cites_an_article_in_both_languages():
    draft = ContractDraft(
        "part_time",
        START,
        daily_hours=D("9"),
        weekly_hours=D("50"),
        pay_cycle_days=30,
        hourly_wage=D("1"),
        probation_end_date=dt.date(2026, 1, 5),
        non_compete_months=30,
    )
    findings = check(draft, SZ_2025, today=TODAY)
    # 7 of Art. 68–72 and 24, and Art. 23 ¶2: the non-compete has no compensation.
    assert len(findings) == 8
    assert all(
        f.article.startswith("《") and f.message_zh and f.message_en and f.field for f in findings
    )
