"""The contract check-up (合同体检): the legal checks of rules.py on a draft given as JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from accord.contracts import rules
from accord.contracts.errors import TERM_TYPE_UNKNOWN
from accord.contracts.models import MinimumWage
from accord.core import inputs
from accord.core.errors import INVALID_VALUE, REQUIRED, InvalidInput, Problem, ProblemList


def minimum_wage_on(day: dt.date) -> rules.MinimumWage | None:
    row = MinimumWage.in_force(day)
    if row is None:
        return None
    return rules.MinimumWage(
        Decimal(row.monthly_fen) / 100,
        Decimal(row.hourly_fen) / 100,
        row.effective_from,
        row.source,
    )


TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def _bad(field: str, zh: str, en: str) -> Problem:
    return INVALID_VALUE.problem(field, detail_zh=zh, detail_en=en)


def parse_draft(data: dict) -> rules.ContractDraft:
    """Validate the JSON body field by field; every malformed field is reported at once."""
    problems = ProblemList()

    def date(name: str, required: bool = False) -> dt.date | None:
        value = data.get(name)
        if value in (None, ""):
            if required:
                problems.add(REQUIRED.problem(name))
            return None
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            problems.add(_bad(name, "日期格式应为 YYYY-MM-DD。", "Dates are written YYYY-MM-DD."))
            return None
        if not inputs.in_date_window(day):
            problems.add(inputs.date_problem(name))
            return None
        return day

    def money(name: str) -> Decimal | None:
        value = data.get(name)
        if value in (None, ""):
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            problems.add(
                _bad(
                    name,
                    '金额应为十进制数字字符串（元），如 "5000.00"。',
                    'Amounts are decimal strings in yuan, such as "5000.00".',
                )
            )
            return None
        if not amount.is_finite() or amount < 0 or amount > Decimal("100000000"):
            problems.add(_bad(name, "金额超出合理范围。", "The amount is out of range."))
            return None
        return amount

    def integer(name: str, default: int | None = None) -> int | None:
        value = data.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool) or not str(value).isdigit() or int(value) > 1000:
            problems.add(_bad(name, "应为 0–1000 的整数。", "A whole number from 0 to 1000."))
            return default
        return int(value)

    def boolean(name: str) -> bool:
        # Strict: JSON true/false, or their spelling as a form sends them; "false" is false and
        # anything else is a problem with the field, never silently true.
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        problems.add(_bad(name, "应为 true 或 false。", "Either true or false."))
        return False

    term_type = data.get("term_type")
    if term_type not in rules.TERM_TYPES:
        problems.add(TERM_TYPE_UNKNOWN.problem())
    category = str(data.get("position_category") or "other")
    if category not in (*rules.NON_COMPETE_ELIGIBLE, "other"):
        problems.add(_bad("position_category", "岗位类别无效。", "Unknown position category."))
    draft = rules.ContractDraft(
        term_type=term_type,  # type: ignore[arg-type]
        start_date=date("start_date", required=True),  # type: ignore[arg-type]
        end_date=date("end_date"),
        probation_end_date=date("probation_end_date"),
        monthly_wage=money("monthly_wage"),
        probation_wage=money("probation_wage"),
        hourly_wage=money("hourly_wage"),
        daily_hours=money("daily_hours"),
        weekly_hours=money("weekly_hours"),
        pay_cycle_days=integer("pay_cycle_days"),
        non_compete_months=integer("non_compete_months", 0) or 0,
        position_category=category,
        had_probation_with_employer=boolean("had_probation_with_employer"),
        signing_date=date("signing_date"),
    )
    problems.raise_if_any(InvalidInput)
    return draft


def check_up(data: dict) -> list[dict]:
    draft = parse_draft(data)
    today = timezone.localdate()
    minimum = minimum_wage_on(max(draft.start_date, today))
    return [f.as_dict() for f in rules.check(draft, minimum, today=today)]
