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
LCL_REGS = "《劳动合同法实施条例》"  # the 2008 Implementing Regulations
MIN_WAGE_RULES = "《最低工资规定》第十二条"
# 最低工资规定 Art. 5: the monthly standard applies to full-time work, the hourly one to part-time.
MIN_WAGE_FORMS = "《最低工资规定》第五条"
# 劳社部发〔2008〕3号: 月计薪天数 = (365 − 104) ÷ 12 = 21.75 days; 小时工资 = 月工资 ÷ (21.75 × 8).
PAY_DAYS_NOTICE = "劳社部发〔2008〕3号"
PAID_HOURS_A_MONTH = Decimal("21.75") * 8  # 174 h: a full-time monthly wage as an hourly rate
WEEKS_A_MONTH = Decimal(52) / Decimal(12)  # a weekly figure as a monthly one
PART_TIME_MAX_WEEKLY_HOURS = Decimal(24)  # LCL Art. 68
# Art. 82 with Implementing Regulations Art. 7: double wages for at most eleven months.
MAX_DOUBLE_WAGE_MONTHS = 11
# Art. 25: the only penalties a worker may be bound to pay (Art. 22 and Art. 23).
PENALTY_REASONS = ("service_period", "non_compete", "other")


@dataclass(frozen=True)
class MinimumWage:
    """The local minimum wage in force on a date (data with its source, not a constant)."""

    monthly: Decimal
    hourly: Decimal
    effective_from: dt.date
    source: str
    monthly_confidence: str = "confirmed"  # confirmed, reported or unconfirmed (models.py)
    hourly_confidence: str = "confirmed"


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
    # Art. 23 ¶2: the monthly compensation during a non-compete, in yuan.
    non_compete_compensation: Decimal | None = None
    # Art. 25: penalties the worker would pay, by reason (PENALTY_REASONS).
    penalties: tuple[str, ...] = ()
    service_period_penalty: Decimal | None = None  # Art. 22 ¶2: at most the training cost
    training_cost: Decimal | None = None
    deposit: Decimal | None = None  # Art. 9: no deposit, guarantee or property of the worker
    holds_id_documents: bool = False  # Art. 9: no holding of ID cards or other documents
    # The employment history (the platform's records, or the check-up's own answers):
    service_start_date: dt.date | None = None  # 用工之日 of the continuing employment
    prior_written_contract: bool = False  # a written labour contract was concluded before
    consecutive_fixed_terms: int = 0  # fixed terms concluded in a row before this contract
    worker_requested_fixed_term: bool = False  # Art. 14 ¶2: the worker asked for a fixed term


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


def months_between(start: dt.date, end: dt.date) -> Decimal:
    """Calendar months from ``start`` to ``end`` (whole months plus the fraction of the last)."""
    if end <= start:
        return Decimal(0)
    whole = 0
    while add_months(start, whole + 1) <= end:
        whole += 1
    base, nxt = add_months(start, whole), add_months(start, whole + 1)
    return Decimal(whole) + Decimal((end - base).days) / Decimal((nxt - base).days)


# ---- a written contract within one month (Art. 10, 14 ¶3, 82; Regulations Art. 6–7) ---------
# The one reckoning of "late", used by the check-up, drafts, batches and the HR workspace. The
# day work starts (用工之日) is the first day of the month: work from 1 January must have its
# written contract by 31 January; from 1 February (day 32) double wages run (Regulations Art. 6,
# 7: "自用工之日起满一个月的次日"), until the day before the first anniversary, eleven months at
# most; on the anniversary an open-ended contract is deemed concluded (Art. 14 ¶3, Art. 7).


def written_contract_due(work_start: dt.date) -> dt.date:
    """The last day to conclude the written contract (Art. 10: within one month)."""
    return add_months(work_start, 1) - dt.timedelta(days=1)


def deemed_open_ended_on(work_start: dt.date) -> dt.date:
    """The day a contract is deemed open-ended without a written one (Art. 14 ¶3, Regs Art. 7)."""
    return add_months(work_start, 12)


def concluded_late(work_start: dt.date, signing: dt.date) -> bool:
    return signing > written_contract_due(work_start)


def double_wage_months(work_start: dt.date, until: dt.date) -> Decimal:
    """Months of double wages owed by ``until`` (exclusive): from day 32, at most eleven."""
    first = written_contract_due(work_start) + dt.timedelta(days=1)
    last = min(until, deemed_open_ended_on(work_start))
    return min(Decimal(MAX_DOUBLE_WAGE_MONTHS), months_between(first, last))


def open_ended_right(draft: ContractDraft) -> str | None:
    """Art. 14 ¶2: why the worker may have an open-ended contract (None: no such right).

    (1) ten consecutive years with this employer by the start of the new contract; (3) two
    consecutive fixed-term contracts already concluded (then the worker renews; the exceptions
    of Art. 39 and Art. 40 (1)(2) are for the employer to show)."""
    service_start = draft.service_start_date or draft.start_date
    if add_months(service_start, 120) <= draft.start_date:
        return "ten_years"
    if draft.consecutive_fixed_terms >= 2:
        return "two_fixed_terms"
    return None


def hourly_equivalent(monthly: Decimal) -> Decimal:
    """A monthly wage as an hourly rate (劳社部发〔2008〕3号: ÷ 21.75 days ÷ 8 hours)."""
    return monthly / PAID_HOURS_A_MONTH


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

    # Wages: the local minimum wage in force (Labour Law Art. 48; 最低工资规定 Art. 5, 12). A
    # full-time wage given by the hour is compared with the monthly standard as an hourly rate,
    # a part-time wage given by the month with the hourly standard over the hours it pays for.
    if minimum:
        _minimum_wage_findings(draft, minimum, add)
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

    _non_compete_pay_and_penalties(draft, add)
    _deposits_and_documents(draft, add)
    if draft.term_type != "part_time":  # Art. 69: part-time work may be agreed orally
        _written_contract(draft, draft.signing_date or today, add)
        _open_ended_right(draft, add)

    return sorted(found, key=lambda f: f.severity != "error")


def _minimum_wage_findings(draft: ContractDraft, minimum: MinimumWage, add) -> None:
    # A figure not yet confirmed says so where it is quoted (contracts.MinimumWage.Confidence).
    source = minimum.source + _unconfirmed(minimum.monthly_confidence)
    hourly_source = minimum.source + _unconfirmed(minimum.hourly_confidence)
    if draft.term_type == "part_time":
        if draft.hourly_wage is not None and draft.hourly_wage < minimum.hourly:
            add(
                Finding(
                    "contract.hourly_wage_below_minimum",
                    f"{LCL}第七十二条；{MIN_WAGE_RULES}",
                    f"小时工资低于当地非全日制小时最低工资标准 {_yuan(minimum.hourly)} 元"
                    f"（{hourly_source}）。",
                    f"The hourly wage is below the local part-time minimum of "
                    f"{_yuan(minimum.hourly)} yuan ({hourly_source}).",
                    "hourly_wage",
                )
            )
        if draft.monthly_wage is not None and draft.hourly_wage is None:
            # Part-time work is paid by the hour (Art. 68, 72): a monthly sum must pay at least
            # the hourly standard for every hour it covers.
            weekly = draft.weekly_hours  # unknown: the most Art. 68 allows, and a warning
            assumed = weekly is None
            hours = (weekly if weekly is not None else PART_TIME_MAX_WEEKLY_HOURS) * WEEKS_A_MONTH
            if hours > 0 and draft.monthly_wage / hours < minimum.hourly:
                rate = _yuan(draft.monthly_wage / hours)
                add(
                    Finding(
                        "contract.part_time_monthly_wage_below_minimum",
                        f"{LCL}第六十八条、第七十二条；{MIN_WAGE_FORMS}、第十二条",
                        f"按每周 {_hours(weekly or PART_TIME_MAX_WEEKLY_HOURS)} 小时折算，"
                        f"月工资相当于每小时 {rate} 元，低于当地非全日制小时最低工资标准 "
                        f"{_yuan(minimum.hourly)} 元（{hourly_source}）。"
                        + ("未填每周工时，按第六十八条允许的最多 24 小时计算。" if assumed else ""),
                        f"At {_hours(weekly or PART_TIME_MAX_WEEKLY_HOURS)} hours a week the "
                        f"monthly wage is {rate} yuan an hour, below the local part-time minimum "
                        f"of {_yuan(minimum.hourly)} yuan ({hourly_source})."
                        + (
                            " No weekly hours were given: the 24 hours Art. 68 allows are assumed."
                            if assumed
                            else ""
                        ),
                        "monthly_wage",
                        severity="warning" if assumed else "error",
                    )
                )
        return
    if draft.monthly_wage is not None and draft.monthly_wage < minimum.monthly:
        add(
            Finding(
                "contract.wage_below_minimum",
                f"《劳动法》第四十八条；{MIN_WAGE_RULES}",
                f"月工资低于当地最低工资标准 {_yuan(minimum.monthly)} 元（{source}）。",
                f"The monthly wage is below the local minimum wage of {_yuan(minimum.monthly)} yuan "
                f"({source}).",
                "monthly_wage",
            )
        )
    if draft.hourly_wage is not None and draft.monthly_wage is None:
        floor = hourly_equivalent(minimum.monthly)
        if draft.hourly_wage < floor:
            add(
                Finding(
                    "contract.full_time_hourly_wage_below_minimum",
                    f"《劳动法》第四十八条；{MIN_WAGE_FORMS}、第十二条；{PAY_DAYS_NOTICE}",
                    f"全日制用工适用月最低工资标准 {_yuan(minimum.monthly)} 元（{source}），"
                    f"按每月 21.75 个计薪日、每日 8 小时折算为每小时 {_yuan(floor)} 元；"
                    f"约定的小时工资低于此数。",
                    f"Full-time work is held to the monthly minimum of {_yuan(minimum.monthly)} "
                    f"yuan ({source}), {_yuan(floor)} yuan an hour at 21.75 paid days of 8 hours "
                    f"a month; the hourly wage is below it.",
                    "hourly_wage",
                )
            )


def _unconfirmed(confidence: str) -> str:
    return "；该标准未经核实 / not yet confirmed" if confidence == "unconfirmed" else ""


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _non_compete_pay_and_penalties(draft: ContractDraft, add) -> None:
    # Art. 23 ¶2: a non-compete is paid for, monthly, during its term after the contract ends.
    if draft.non_compete_months and not (
        draft.non_compete_compensation is not None and draft.non_compete_compensation > 0
    ):
        add(
            Finding(
                "contract.non_compete_compensation_missing",
                f"{LCL}第二十三条第二款",
                "约定竞业限制的，须约定在解除或者终止劳动合同后、竞业限制期限内按月给予劳动者经济补偿。",
                "A non-compete needs monthly compensation for the worker during its term after "
                "the contract ends.",
                "non_compete_compensation",
            )
        )
    # Art. 25: a worker pays a penalty only for breaking a training service period (Art. 22)
    # or a non-compete (Art. 23).
    for reason in draft.penalties:
        if reason == "other" or (reason == "non_compete" and not draft.non_compete_months):
            add(
                Finding(
                    "contract.penalty_not_allowed",
                    f"{LCL}第二十五条",
                    "除服务期（第二十二条）和竞业限制（第二十三条）外，用人单位不得与劳动者约定由劳动者承担违约金。"
                    + ("本合同未约定竞业限制。" if reason == "non_compete" else ""),
                    "Apart from a training service period (Art. 22) and a non-compete (Art. 23) "
                    "the worker may not be bound to pay a penalty."
                    + (" This contract sets no non-compete." if reason == "non_compete" else ""),
                    "penalties",
                )
            )
    if "service_period" in draft.penalties and draft.training_cost is not None:
        if draft.training_cost <= 0:
            add(
                Finding(
                    "contract.penalty_not_allowed",
                    f"{LCL}第二十五条",
                    "除服务期（第二十二条）和竞业限制（第二十三条）外，用人单位不得与劳动者约定由劳动者承担违约金。"
                    "服务期以用人单位提供专项培训费用为前提。",
                    "Apart from a training service period (Art. 22) and a non-compete (Art. 23) "
                    "the worker may not be bound to pay a penalty. A service period needs "
                    "training paid for by the employer.",
                    "training_cost",
                )
            )
        elif (
            draft.service_period_penalty is not None
            and draft.service_period_penalty > draft.training_cost
        ):
            add(
                Finding(
                    "contract.service_period_penalty_too_high",
                    f"{LCL}第二十二条第二款",
                    f"服务期违约金不得超过用人单位提供的培训费用 {_yuan(draft.training_cost)} 元。",
                    f"The service-period penalty may not exceed the training cost of "
                    f"{_yuan(draft.training_cost)} yuan the employer paid.",
                    "service_period_penalty",
                )
            )


def _deposits_and_documents(draft: ContractDraft, add) -> None:
    if draft.holds_id_documents:
        add(
            Finding(
                "contract.id_document_held",
                f"{LCL}第九条、第八十四条第一款",
                "用人单位不得扣押劳动者的居民身份证和其他证件；扣押的，由劳动行政部门责令限期退还，并依法处罚。",
                "An employer may not hold the worker's ID card or other documents; the labour "
                "authority orders their return and imposes a penalty.",
                "holds_id_documents",
            )
        )
    if draft.deposit is not None and draft.deposit > 0:
        add(
            Finding(
                "contract.deposit_not_allowed",
                f"{LCL}第九条、第八十四条第二款",
                "用人单位不得要求劳动者提供担保或者以其他名义向劳动者收取财物；收取的，由劳动行政部门责令限期退还，"
                "并以每人五百元以上二千元以下的标准处以罚款。",
                "An employer may not ask the worker for a guarantee or collect money or property "
                "from them under any name; it is returned and fined 500 to 2,000 yuan a worker.",
                "deposit",
            )
        )


def _written_contract(draft: ContractDraft, signing: dt.date | None, add) -> None:
    """Art. 10, 14 ¶3, 82: the first written contract, concluded late."""
    if signing is None or draft.prior_written_contract or draft.consecutive_fixed_terms:
        return
    work_start = draft.service_start_date or draft.start_date
    if not concluded_late(work_start, signing):
        return
    months = double_wage_months(work_start, signing)
    first = written_contract_due(work_start) + dt.timedelta(days=1)
    last = min(signing, deemed_open_ended_on(work_start)) - dt.timedelta(days=1)
    add(
        Finding(
            "contract.concluded_late",
            f"{LCL}第十条、第八十二条；{LCL_REGS}第六条、第七条",
            f"用工之日（{work_start}）起超过一个月才订立书面劳动合同，用人单位应自 {first} 至 {last} "
            f"向劳动者每月支付二倍工资，约 {months.quantize(Decimal('0.1'))} 个月"
            f"（最多十一个月）。",
            f"The written contract comes more than a month after work started ({work_start}): "
            f"the employer owes double wages from {first} to {last}, about "
            f"{months.quantize(Decimal('0.1'))} month(s) (eleven at most).",
            "start_date" if draft.service_start_date is None else "service_start_date",
            severity="warning",
        )
    )
    deemed = deemed_open_ended_on(work_start)
    if signing >= deemed:
        unlawful_term = draft.term_type in ("fixed", "task")
        add(
            Finding(
                "contract.deemed_open_ended",
                f"{LCL}第十四条第三款；{LCL_REGS}第七条",
                f"用工满一年未订立书面劳动合同，自 {deemed} 起视为已订立无固定期限劳动合同"
                + ("，补订的合同应为无固定期限劳动合同。" if unlawful_term else "。"),
                f"A full year without a written contract: from {deemed} an open-ended contract is "
                f"deemed concluded"
                + (", so the contract written now is open-ended." if unlawful_term else "."),
                "term_type",
                severity="error" if unlawful_term else "warning",
            )
        )


def renewal_findings(draft: ContractDraft) -> list[Finding]:
    """A renewal (续订书) to a fixed end: only the open-ended right of Art. 14 ¶2 applies to it."""
    found: list[Finding] = []
    _open_ended_right(draft, found.append)
    return found


def _open_ended_right(draft: ContractDraft, add) -> None:
    """Art. 14 ¶2 and Art. 82 ¶2: an open-ended contract the worker is owed."""
    if draft.term_type not in ("fixed", "task") or draft.worker_requested_fixed_term:
        return
    reason = open_ended_right(draft)
    if reason is None:
        return
    why_zh, why_en = {
        "ten_years": (
            "劳动者在该用人单位连续工作满十年",
            "the worker has ten consecutive years here",
        ),
        "two_fixed_terms": (
            "已连续订立二次固定期限劳动合同",
            "two consecutive fixed-term contracts were concluded",
        ),
    }[reason]
    add(
        Finding(
            "contract.open_ended_required",
            f"{LCL}第十四条第二款、第八十二条第二款",
            f"{why_zh}，劳动者提出或者同意续订、订立劳动合同的，除劳动者提出订立固定期限劳动合同外，"
            "应当订立无固定期限劳动合同；不订立的，自应当订立之日起向劳动者每月支付二倍工资。",
            f"As {why_en}, a renewal the worker asks for or agrees to is open-ended unless the "
            "worker asks for a fixed term; otherwise the employer pays double wages from the day "
            "it was due.",
            "term_type",
        )
    )
