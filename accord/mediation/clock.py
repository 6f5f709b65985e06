"""The law's clock, counted with a real calendar. Pure: no database (the calendar's additions
are passed in), so the rules are tested on their own.

Counting (Civil Code Art. 200–204; Civil Procedure Law Art. 85): the day of the triggering
event is not counted; a period in years ends on the corresponding day of the last year, or on
the last day of that month when there is none (29 February); a last day that is a statutory
holiday or rest day moves to the next working day; holidays inside the period are not deducted.
Which days are working days is the State Council's yearly schedule with its swapped working
weekends: the ``chinese-calendar`` package ships it, and ``CalendarDay`` rows add next year's.

The periods (《劳动争议调解仲裁法》, LAW.md):

- Art. 14: no agreement within 15 days of the organisation receiving the application → a party
  may apply for arbitration; both parties may agree to extend.
- Art. 27: the arbitration limitation is one year from when the party knew or should have known
  of the infringement; a claim for pay (劳动报酬) during the employment is not limited until the
  relationship ends, then one year from its end; an interruption (a claim to the other party, a
  request for relief — a mediation application is one — or the other party agreeing to perform)
  restarts the year from that day; a suspension pauses it and the rest runs on after.
- Judicial confirmation: the joint application within 30 days of the agreement taking effect.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import chinese_calendar

ART_14 = "《劳动争议调解仲裁法》第十四条 / Mediation and Arbitration Law Art. 14"
ART_27 = "《劳动争议调解仲裁法》第二十七条 / Mediation and Arbitration Law Art. 27"
ART_27_4 = "《劳动争议调解仲裁法》第二十七条第四款 / Mediation and Arbitration Law Art. 27(4)"
CIVIL_CODE_201_204 = "《民法典》第二百零一条至第二百零四条 / Civil Code Art. 201–204"
CPL_CONFIRMATION = (
    "《民事诉讼法》特别程序·确认调解协议案件 / Civil Procedure Law, special procedure for "
    "confirming mediation agreements"
)

MEDIATION_DAYS = 15
CONFIRMATION_DAYS = 30
LIMITATION_YEARS = 1
WAGES = "wages"


class Calendar:
    """Working days: the shipped State Council schedule, then the recorded additions."""

    def __init__(self, additions: Mapping[dt.date, bool] | None = None) -> None:
        self.additions = dict(additions or {})
        self.unknown_years: set[int] = set()

    def is_workday(self, day: dt.date) -> bool:
        if day in self.additions:
            return self.additions[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            # A year the package does not cover and nobody has entered: weekends are rest days;
            # the answer says the year's schedule is missing (``unknown_years``).
            self.unknown_years.add(day.year)
            return day.weekday() < 5

    def next_workday_from(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, else the first working day after it."""
        for _ in range(60):
            if self.is_workday(day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError("no working day within 60 days")  # no schedule has such a gap


def add_years(start: dt.date, years: int) -> dt.date:
    """The corresponding day ``years`` later; the month's last day when there is none."""
    year = start.year + years
    last = _calendar.monthrange(year, start.month)[1]
    return dt.date(year, start.month, min(start.day, last))


def period_end_days(start: dt.date, days: int, cal: Calendar) -> dt.date:
    """The last day of a period of ``days`` days from ``start`` (not counted), moved past a
    holiday or rest day (Civil Code Art. 201, 203)."""
    return cal.next_workday_from(start + dt.timedelta(days=days))


def period_end_years(start: dt.date, years: int, cal: Calendar) -> dt.date:
    return cal.next_workday_from(add_years(start, years))


@dataclass(frozen=True)
class Basis:
    article: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "article": self.article,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass
class Limitation:
    status: str  # running | expired | not_running
    deadline: dt.date | None
    basis: list[Basis] = field(default_factory=list)


def limitation(
    *,
    claim: str,
    knew_on: dt.date | None,
    employment_ended_on: dt.date | None,
    interruptions: Iterable[dt.date] = (),
    suspensions: Iterable[tuple[dt.date, dt.date]] = (),
    as_of: dt.date,
    cal: Calendar,
) -> Limitation:
    """The Art. 27 limitation on ``as_of``. ``interruptions`` are days the clock restarted
    (the mediation organisation's receipt among them); ``suspensions`` (start, end) pause it.

    The caller has checked the dates (none in the future, ``knew_on`` given unless the claim is
    for pay during the employment)."""
    basis: list[Basis] = []
    if claim == WAGES and employment_ended_on is None:
        basis.append(
            Basis(
                ART_27_4,
                "劳动关系存续期间因拖欠劳动报酬发生争议的，申请仲裁不受一年仲裁时效期间的限制；"
                "劳动关系终止的，应当自终止之日起一年内提出。",
                "A claim for pay during the employment is not limited; once the employment ends, "
                "arbitration must be applied for within one year of its end.",
            )
        )
        return Limitation("not_running", None, basis)
    if claim == WAGES:
        start = employment_ended_on
        basis.append(
            Basis(
                ART_27_4,
                f"劳动报酬争议，仲裁时效自劳动关系终止之日（{employment_ended_on:%Y-%m-%d}）起算一年。",
                f"A claim for pay: one year from the end of the employment ({employment_ended_on}).",
            )
        )
    else:
        start = knew_on
        basis.append(
            Basis(
                ART_27,
                f"仲裁时效期间为一年，自当事人知道或者应当知道其权利被侵害之日（{knew_on:%Y-%m-%d}）起计算。",
                f"The limitation is one year from the day the party knew or should have known of "
                f"the infringement ({knew_on}).",
            )
        )
    assert start is not None
    paused = 0
    for begin, end in sorted(suspensions):
        if begin >= start:
            paused += (end - begin).days
    deadline = _limitation_end(start, paused, cal)
    for day in sorted(set(interruptions)):
        if day < start:
            continue  # before the clock started: nothing to interrupt
        if day > deadline:
            break  # the limitation had run out: a later claim does not revive it
        start = day
        deadline = _limitation_end(start, paused, cal)
        basis.append(
            Basis(
                ART_27,
                f"{day:%Y-%m-%d} 时效中断，从中断时起重新计算一年。",
                f"Interrupted on {day}: the year runs again from that day.",
            )
        )
    if paused:
        basis.append(
            Basis(
                ART_27,
                f"时效中止 {paused} 天，中止原因消除后继续计算。",
                f"Suspended for {paused} days; the period runs on after the cause ended.",
            )
        )
    basis.append(_counting_basis(deadline))
    status = "expired" if as_of > deadline else "running"
    return Limitation(status, deadline, basis)


def _limitation_end(start: dt.date, paused_days: int, cal: Calendar) -> dt.date:
    end = add_years(start, LIMITATION_YEARS) + dt.timedelta(days=paused_days)
    return cal.next_workday_from(end)


def _counting_basis(deadline: dt.date) -> Basis:
    return Basis(
        CIVIL_CODE_201_204,
        f"期间开始的当日不计入；期间最后一日是法定休假日的，以休假日结束的次日为最后一日（{deadline:%Y-%m-%d}）。",
        f"The starting day is not counted; a last day on a holiday or rest day moves to the next "
        f"working day ({deadline}).",
    )


def mediation_deadline(received_on: dt.date, cal: Calendar, extension_days: int = 0) -> dt.date:
    """The last day of the Art. 14 period (15 days from receipt, plus agreed extensions)."""
    return period_end_days(received_on, MEDIATION_DAYS + extension_days, cal)


def mediation_basis(received_on: dt.date, deadline: dt.date) -> Basis:
    return Basis(
        ART_14,
        f"调解组织自收到调解申请之日（{received_on:%Y-%m-%d}）起十五日内未达成调解协议的，"
        f"当事人可以依法申请仲裁；期限最后一日为 {deadline:%Y-%m-%d}。",
        f"If no agreement is reached within 15 days of the organisation receiving the "
        f"application ({received_on}), a party may apply for arbitration; the last day is "
        f"{deadline}.",
    )


def confirmation_deadline(effective_on: dt.date, cal: Calendar) -> dt.date:
    """The last day to apply jointly to the court for judicial confirmation."""
    return period_end_days(effective_on, CONFIRMATION_DAYS, cal)
