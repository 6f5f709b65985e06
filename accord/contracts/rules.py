"""The labour-law checks of a contract draft, each citing its source (../shared/LAW.md).

Pure Python, no Django: a draft and the applicable minimum wage go in, a list of problems
comes out. The same checks run when HR drafts a contract and behind the public contract
check-up (合同体检, ``POST /api/v1/contracts/check``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

TermType = Literal["fixed", "open_ended", "task", "part_time"]
TERM_TYPES = ("fixed", "open_ended", "task", "part_time")
# Art. 24: who may be bound by a non-compete covenant.
NON_COMPETE_ELIGIBLE = ("senior_manager", "senior_technical", "confidential")

LCL = "《劳动合同法》"  # Labour Contract Law of the PRC
MIN_WAGE_RULES = "《最低工资规定》第十二条"


@dataclass(frozen=True)
class MinimumWage:
    """The local minimum wage in force on a date (data with its source, not a constant)."""

    monthly: Decimal
    hourly: Decimal
    effective_from: dt.date
    source: str


@dataclass
class ContractDraft:
    term_type: TermType
    start_date: dt.date
    end_date: dt.date | None = None
    probation_end_date: dt.date | None = None
    monthly_wage: Decimal | None = None
    probation_wage: Decimal | None = None
    hourly_wage: Decimal | None = None  # part-time contracts pay by the hour (Art. 72)
    daily_hours: Decimal | None = None
    weekly_hours: Decimal | None = None
    pay_cycle_days: int | None = None
    non_compete_months: int = 0
    position_category: str = "other"
    had_probation_with_employer: bool = False
    signing_date: dt.date | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    article: str
    message_zh: str
    message_en: str
    field: str
    severity: Literal["error", "warning"] = "error"

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def lasts_at_least(start: dt.date, last_day: dt.date, months: int) -> bool:
    """Does a period from ``start`` to ``last_day`` inclusive cover ``months`` whole months?

    A contract from 1 Jan to 31 Mar lasts exactly three months: its day after the last day
    (1 Apr) is three months after the first.
    """
    return last_day + dt.timedelta(days=1) >= add_months(start, months)


def max_probation_months(draft: ContractDraft) -> int:
    """Art. 19 para. 1: the longest probation the contract's term allows (0 = none)."""
    if draft.term_type in ("task", "part_time"):
        return 0
    if draft.term_type == "open_ended":
        return 6
    assert draft.end_date is not None
    if not lasts_at_least(draft.start_date, draft.end_date, 3):
        return 0
    if not lasts_at_least(draft.start_date, draft.end_date, 12):
        return 1
    if not lasts_at_least(draft.start_date, draft.end_date, 36):
        return 2
    return 6


def _yuan(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def check(
    draft: ContractDraft, minimum: MinimumWage | None, today: dt.date | None = None
) -> list[Finding]:
    """Every problem of the draft, errors first; an empty list when the draft is lawful."""
    found: list[Finding] = []
    add = found.append

    if draft.term_type == "fixed":
        if draft.end_date is None:
            add(
                Finding(
                    "contract.end_date_required",
                    f"{LCL}第十三条",
                    "固定期限劳动合同须约定终止日期。",
                    "A fixed-term contract needs an end date.",
                    "end_date",
                )
            )
            return found
        if draft.end_date < draft.start_date:
            add(
                Finding(
                    "contract.end_before_start",
                    f"{LCL}第十三条",
                    "终止日期早于开始日期。",
                    "The end date is before the start date.",
                    "end_date",
                )
            )
            return found
    elif draft.end_date is not None and draft.term_type == "open_ended":
        add(
            Finding(
                "contract.end_date_not_allowed",
                f"{LCL}第十四条",
                "无固定期限劳动合同不约定终止日期。",
                "An open-ended contract has no end date.",
                "end_date",
            )
        )

    # Probation: Art. 19 and Art. 70.
    if draft.probation_end_date is not None:
        probation_end = draft.probation_end_date
        if probation_end < draft.start_date:
            add(
                Finding(
                    "contract.probation_before_start",
                    f"{LCL}第十九条",
                    "试用期结束日期早于合同开始日期。",
                    "The probation ends before the contract starts.",
                    "probation_end_date",
                )
            )
        elif draft.term_type == "part_time":
            add(
                Finding(
                    "contract.probation_part_time",
                    f"{LCL}第七十条",
                    "非全日制用工双方当事人不得约定试用期。",
                    "A part-time contract may not set a probation period.",
                    "probation_end_date",
                )
            )
        elif draft.term_type == "task":
            add(
                Finding(
                    "contract.probation_not_allowed",
                    f"{LCL}第十九条第三款",
                    "以完成一定工作任务为期限的劳动合同不得约定试用期。",
                    "A contract for the completion of a task may not set a probation period.",
                    "probation_end_date",
                )
            )
        elif (
            draft.term_type == "fixed"
            and draft.end_date is not None
            and probation_end >= draft.end_date
        ):
            add(
                Finding(
                    "contract.probation_only",
                    f"{LCL}第十九条第四款",
                    "劳动合同仅约定试用期的，试用期不成立，该期限为劳动合同期限。",
                    "A contract that sets only a probation period has no probation: "
                    "that period is the contract term.",
                    "probation_end_date",
                )
            )
        else:
            limit = max_probation_months(draft)
            if limit == 0:
                add(
                    Finding(
                        "contract.probation_not_allowed",
                        f"{LCL}第十九条第三款",
                        "劳动合同期限不满三个月的，不得约定试用期。",
                        "A contract of less than three months may not set a probation period.",
                        "probation_end_date",
                    )
                )
            elif probation_end + dt.timedelta(days=1) > add_months(draft.start_date, limit):
                add(
                    Finding(
                        "contract.probation_too_long",
                        f"{LCL}第十九条第一款",
                        f"按合同期限，试用期最长 {limit} 个月（至 "
                        f"{add_months(draft.start_date, limit) - dt.timedelta(days=1)}）。",
                        f"For this term the probation may last at most {limit} month(s) (until "
                        f"{add_months(draft.start_date, limit) - dt.timedelta(days=1)}).",
                        "probation_end_date",
                    )
                )
            if draft.had_probation_with_employer:
                add(
                    Finding(
                        "contract.second_probation",
                        f"{LCL}第十九条第二款",
                        "同一用人单位与同一劳动者只能约定一次试用期。",
                        "An employer may set a probation only once with the same worker.",
                        "probation_end_date",
                    )
                )

    # Wages: Art. 20 and the local minimum wage.
    if draft.term_type == "part_time":
        if draft.hourly_wage is not None and minimum and draft.hourly_wage < minimum.hourly:
            add(
                Finding(
                    "contract.hourly_wage_below_minimum",
                    f"{LCL}第七十二条；{MIN_WAGE_RULES}",
                    f"小时工资低于当地非全日制小时最低工资标准 {_yuan(minimum.hourly)} 元"
                    f"（{minimum.source}）。",
                    f"The hourly wage is below the local part-time minimum of "
                    f"{_yuan(minimum.hourly)} yuan ({minimum.source}).",
                    "hourly_wage",
                )
            )
    elif draft.monthly_wage is not None and minimum and draft.monthly_wage < minimum.monthly:
        add(
            Finding(
                "contract.wage_below_minimum",
                f"《劳动法》第四十八条；{MIN_WAGE_RULES}",
                f"月工资低于当地最低工资标准 {_yuan(minimum.monthly)} 元（{minimum.source}）。",
                f"The monthly wage is below the local minimum wage of {_yuan(minimum.monthly)} yuan "
                f"({minimum.source}).",
                "monthly_wage",
            )
        )
    if (
        draft.probation_end_date is not None
        and draft.probation_wage is not None
        and draft.term_type in ("fixed", "open_ended")
    ):
        if draft.monthly_wage is not None and draft.probation_wage < draft.monthly_wage * Decimal(
            "0.8"
        ):
            add(
                Finding(
                    "contract.probation_wage_below_80",
                    f"{LCL}第二十条",
                    f"试用期工资不得低于约定工资的百分之八十（{_yuan(draft.monthly_wage * Decimal('0.8'))} 元）。",
                    f"The probation wage may not be below 80% of the agreed wage "
                    f"({_yuan(draft.monthly_wage * Decimal('0.8'))} yuan).",
                    "probation_wage",
                )
            )
        if minimum and draft.probation_wage < minimum.monthly:
            add(
                Finding(
                    "contract.probation_wage_below_minimum",
                    f"{LCL}第二十条",
                    f"试用期工资不得低于当地最低工资标准 {_yuan(minimum.monthly)} 元（{minimum.source}）。",
                    f"The probation wage may not be below the local minimum wage of "
                    f"{_yuan(minimum.monthly)} yuan ({minimum.source}).",
                    "probation_wage",
                )
            )

    # Part-time hours and pay: Art. 68 and Art. 72.
    if draft.term_type == "part_time":
        if draft.daily_hours is not None and draft.daily_hours > 4:
            add(
                Finding(
                    "contract.part_time_daily_hours",
                    f"{LCL}第六十八条",
                    "非全日制用工平均每日工作时间不超过四小时。",
                    "Part-time work averages at most four hours a day.",
                    "daily_hours",
                )
            )
        if draft.weekly_hours is not None and draft.weekly_hours > 24:
            add(
                Finding(
                    "contract.part_time_weekly_hours",
                    f"{LCL}第六十八条",
                    "非全日制用工每周工作时间累计不超过二十四小时。",
                    "Part-time work totals at most 24 hours a week.",
                    "weekly_hours",
                )
            )
        if draft.pay_cycle_days is not None and draft.pay_cycle_days > 15:
            add(
                Finding(
                    "contract.part_time_pay_cycle",
                    f"{LCL}第七十二条",
                    "非全日制用工劳动报酬结算支付周期最长不得超过十五日。",
                    "Part-time pay is settled at least every 15 days.",
                    "pay_cycle_days",
                )
            )

    # Non-compete: Art. 23 and Art. 24.
    if draft.non_compete_months:
        if draft.position_category not in NON_COMPETE_ELIGIBLE:
            add(
                Finding(
                    "contract.non_compete_not_eligible",
                    f"{LCL}第二十四条第一款",
                    "竞业限制的人员限于高级管理人员、高级技术人员和其他负有保密义务的人员。",
                    "A non-compete covenant binds only senior managers, senior technical staff and "
                    "others with a duty of confidentiality.",
                    "position_category",
                )
            )
        if draft.non_compete_months > 24:
            add(
                Finding(
                    "contract.non_compete_too_long",
                    f"{LCL}第二十四条第二款",
                    "解除或终止劳动合同后的竞业限制期限不得超过二年。",
                    "A non-compete after the contract ends may last at most two years.",
                    "non_compete_months",
                )
            )

    # Art. 10 and Art. 82: a written contract within one month of the start of employment.
    signing = draft.signing_date or today
    if (
        signing is not None
        and signing > add_months(draft.start_date, 1)
        and draft.term_type != "part_time"
    ):
        add(
            Finding(
                "contract.concluded_late",
                f"{LCL}第十条、第八十二条",
                "用工之日起超过一个月才订立书面劳动合同，用人单位应向劳动者每月支付二倍工资。",
                "The written contract comes more than a month after work started: the employer owes "
                "double wages for each month without one.",
                "start_date",
                severity="warning",
            )
        )

    return sorted(found, key=lambda f: f.severity != "error")
