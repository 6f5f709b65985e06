"""The contract check-up (合同体检): the legal checks of rules.py on a draft given as JSON.

The fields a draft may carry are declared once (``FIELDS``): the parser reads them, the
check-up refuses any other (422 ``contract.unknown_field`` naming it), and the OpenAPI entry of
``POST /api/v1/contracts/check`` is drawn from the same table (``request_schema``). Single
drafts (envelopes.drafting) and batch rows (contracts.batch, envelopes.batch_plan) go through
``parse_draft`` and ``minimum_wage_for`` too, so the three ask the same questions of the law.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from accord.contracts import rules
from accord.contracts.errors import CHECK_UNKNOWN_FIELD, TERM_TYPE_UNKNOWN
from accord.contracts.models import MinimumWage
from accord.core import inputs
from accord.core.errors import INVALID_VALUE, REQUIRED, InvalidInput, Problem, ProblemList


@dataclass(frozen=True)
class Field:
    kind: str  # date, money, hours, integer, boolean, choice, choices
    description: str
    choices: tuple[str, ...] = ()
    required: bool = False


POSITION_CATEGORIES = (*rules.NON_COMPETE_ELIGIBLE, "other")

FIELDS: dict[str, Field] = {
    "term_type": Field(
        "choice",
        "合同期限类型 / term: fixed, open_ended, task (completion of a task), part_time (LCL Art. 12, 68)",
        rules.TERM_TYPES,
        required=True,
    ),
    "start_date": Field("date", "合同开始日期 / first day of the term, YYYY-MM-DD", required=True),
    "end_date": Field("date", "合同终止日期 / last day of a fixed term (LCL Art. 13)"),
    "probation_end_date": Field("date", "试用期结束日期 / last day of probation (LCL Art. 19)"),
    "monthly_wage": Field("money", "月工资（元）/ monthly wage in yuan, a decimal string"),
    "probation_wage": Field("money", "试用期工资（元）/ probation wage (LCL Art. 20)"),
    "hourly_wage": Field(
        "money", "小时工资（元）/ hourly wage (part-time, or full-time by the hour)"
    ),
    "daily_hours": Field("hours", "非全日制每日工时 / part-time hours a day (LCL Art. 68)"),
    "weekly_hours": Field("hours", "非全日制每周工时 / part-time hours a week (LCL Art. 68)"),
    "pay_cycle_days": Field("integer", "工资结算周期（天）/ days between pay-days (LCL Art. 72)"),
    "non_compete_months": Field("integer", "竞业限制期限（月）/ non-compete months (LCL Art. 24)"),
    "non_compete_compensation": Field(
        "money", "竞业限制每月经济补偿（元）/ monthly non-compete compensation (LCL Art. 23 ¶2)"
    ),
    "position_category": Field(
        "choice",
        "岗位类别 / senior_manager, senior_technical, confidential or other (LCL Art. 24)",
        POSITION_CATEGORIES,
    ),
    "penalties": Field(
        "choices",
        "由劳动者承担违约金的情形 / penalties the worker would pay: service_period, "
        "non_compete, other (LCL Art. 22, 23, 25)",
        rules.PENALTY_REASONS,
    ),
    "service_period_penalty": Field(
        "money", "服务期违约金（元）/ service-period penalty (LCL Art. 22 ¶2)"
    ),
    "training_cost": Field("money", "专项培训费用（元）/ training cost paid by the employer"),
    "deposit": Field(
        "money", "押金、担保或收取的财物（元）/ deposit or guarantee asked (LCL Art. 9)"
    ),
    "holds_id_documents": Field(
        "boolean", "扣押身份证等证件 / the employer keeps the worker's ID documents (LCL Art. 9)"
    ),
    "had_probation_with_employer": Field(
        "boolean", "曾与该单位约定试用期 / a probation was agreed before (LCL Art. 19 ¶2)"
    ),
    "signing_date": Field("date", "订立书面合同的日期 / day the written contract is concluded"),
    "service_start_date": Field(
        "date",
        "用工之日 / first day of work for this employer, if before start_date (LCL Art. 7, 10)",
    ),
    "prior_written_contract": Field(
        "boolean", "此前已订立书面劳动合同 / a written contract was concluded before"
    ),
    "consecutive_fixed_terms": Field(
        "integer", "此前连续订立的固定期限合同次数 / fixed terms in a row so far (LCL Art. 14 ¶2)"
    ),
    "worker_requested_fixed_term": Field(
        "boolean", "劳动者提出订立固定期限合同 / the worker asked for a fixed term (LCL Art. 14 ¶2)"
    ),
}
JSON_TYPES = {
    "date": {"type": "string", "format": "date"},
    "money": {"type": ["string", "number"], "pattern": r"^\d+(\.\d+)?$"},
    "hours": {"type": ["string", "number"]},
    "integer": {"type": ["integer", "string"], "minimum": 0, "maximum": 1000},
    "boolean": {"type": ["boolean", "string"]},
}


def request_schema() -> dict[str, Any]:
    """The JSON schema of a check-up request, drawn from ``FIELDS`` (unknown fields refused)."""
    properties: dict[str, Any] = {}
    for name, spec in FIELDS.items():
        if spec.kind == "choice":
            schema: dict[str, Any] = {"type": "string", "enum": list(spec.choices)}
        elif spec.kind == "choices":
            schema = {"type": "array", "items": {"type": "string", "enum": list(spec.choices)}}
        else:
            schema = dict(JSON_TYPES[spec.kind])
        properties[name] = {**schema, "description": spec.description}
    return {
        "title": "ContractCheckIn",
        "type": "object",
        "properties": properties,
        "required": [n for n, s in FIELDS.items() if s.required],
        "additionalProperties": False,
    }


def minimum_wage_on(day: dt.date) -> rules.MinimumWage | None:
    row = MinimumWage.in_force(day)
    if row is None:
        return None
    return rules.MinimumWage(
        Decimal(row.monthly_fen) / 100,
        Decimal(row.hourly_fen) / 100,
        row.effective_from,
        row.source,
        row.monthly_confidence,
        row.hourly_confidence,
    )


def minimum_wage_day(draft: rules.ContractDraft, today: dt.date) -> dt.date:
    """The day whose minimum wage a draft is held to: its start, or today if it started already
    (the wage agreed now must be lawful from now on)."""
    return max(draft.start_date, today)


def minimum_wage_for(draft: rules.ContractDraft, today: dt.date) -> rules.MinimumWage | None:
    return minimum_wage_on(minimum_wage_day(draft, today))


TRUE_WORDS = frozenset({"true", "1", "yes", "on", "是"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", "否"})
_SEPARATORS = re.compile(r"[,，、;；\s]+")


def _bad(field: str, zh: str, en: str) -> Problem:
    return INVALID_VALUE.problem(field, detail_zh=zh, detail_en=en)


def unknown_fields(data: dict) -> list[Problem]:
    return [CHECK_UNKNOWN_FIELD.problem(str(k), name=str(k)) for k in data if k not in FIELDS]


def parse_draft(data: dict) -> rules.ContractDraft:
    """Validate the draft's fields one by one; every malformed field is reported at once.

    ``data`` may carry other keys (a single draft's job, place, hours …): they are not this
    parser's to judge; the public check-up refuses them itself (``check_up``)."""
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
        if isinstance(value, bool) or not amount.is_finite() or not 0 <= amount <= 100000000:
            problems.add(_bad(name, "金额超出合理范围。", "The amount is out of range."))
            return None
        return amount

    def hours(name: str, most: int) -> Decimal | None:
        value = money(name)
        if value is not None and value > most:
            problems.add(
                _bad(name, f"工时应在 0–{most} 小时之间。", f"Hours are between 0 and {most}.")
            )
            return None
        return value

    def integer(name: str, default: int | None = None) -> int | None:
        value = data.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a spreadsheet's 24.0
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

    def choices(name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        value = data.get(name)
        if value in (None, ""):
            return ()
        items = _SEPARATORS.split(value.strip()) if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(
            isinstance(i, str) and i in allowed for i in items if i
        ):
            problems.add(
                _bad(
                    name, f"可选值：{'、'.join(allowed)}。", f"One or more of {', '.join(allowed)}."
                )
            )
            return ()
        return tuple(dict.fromkeys(i for i in items if i))

    term_type = data.get("term_type")
    if term_type not in rules.TERM_TYPES:
        problems.add(TERM_TYPE_UNKNOWN.problem())
    category = str(data.get("position_category") or "other")
    if category not in POSITION_CATEGORIES:
        problems.add(_bad("position_category", "岗位类别无效。", "Unknown position category."))
    draft = rules.ContractDraft(
        term_type=term_type,  # type: ignore[arg-type]
        start_date=date("start_date", required=True),  # type: ignore[arg-type]
        end_date=date("end_date"),
        probation_end_date=date("probation_end_date"),
        monthly_wage=money("monthly_wage"),
        probation_wage=money("probation_wage"),
        hourly_wage=money("hourly_wage"),
        daily_hours=hours("daily_hours", 24),
        weekly_hours=hours("weekly_hours", 168),
        pay_cycle_days=integer("pay_cycle_days"),
        non_compete_months=integer("non_compete_months", 0) or 0,
        position_category=category,
        had_probation_with_employer=boolean("had_probation_with_employer"),
        signing_date=date("signing_date"),
        non_compete_compensation=money("non_compete_compensation"),
        penalties=choices("penalties", rules.PENALTY_REASONS),
        service_period_penalty=money("service_period_penalty"),
        training_cost=money("training_cost"),
        deposit=money("deposit"),
        holds_id_documents=boolean("holds_id_documents"),
        service_start_date=date("service_start_date"),
        prior_written_contract=boolean("prior_written_contract"),
        consecutive_fixed_terms=integer("consecutive_fixed_terms", 0) or 0,
        worker_requested_fixed_term=boolean("worker_requested_fixed_term"),
    )
    if (
        draft.service_start_date
        and draft.start_date
        and draft.service_start_date > draft.start_date
    ):
        problems.add(
            _bad(
                "service_start_date",
                "用工之日不能晚于合同开始日期。",
                "Work cannot start after the contract does.",
            )
        )
    problems.raise_if_any(InvalidInput)
    return draft


def findings(draft: rules.ContractDraft, today: dt.date | None = None) -> list[rules.Finding]:
    """Every finding of a parsed draft, with the minimum wage it is held to."""
    today = today or timezone.localdate()
    return rules.check(draft, minimum_wage_for(draft, today), today=today)


def check_up(data: dict) -> list[dict]:
    """The public check-up: unknown fields are refused (422, each named), then the rules run."""
    problems = ProblemList()
    for problem in unknown_fields(data):
        problems.add(problem)
    problems.raise_if_any(InvalidInput)
    return [f.as_dict() for f in findings(parse_draft(data))]
