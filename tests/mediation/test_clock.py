"""The law's clock on a real calendar (Civil Code Art. 201–204; Mediation and Arbitration Law
Art. 14, 27): month ends, leap years, the Spring Festival and National Day holidays and their
swapped working weekends. Pure: no database."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.mediation import clock

D = dt.date
CAL = clock.Calendar()


def limitation(**kw):
    kw.setdefault("knew_on", None)
    kw.setdefault("employment_ended_on", None)
    return clock.limitation(cal=clock.Calendar(), **kw)


# ---- Art. 14: fifteen days from receipt ----------------------------------------------------


def test_art14_fifteen_days_do_not_count_the_day_of_receipt():
    assert clock.mediation_deadline(D(2026, 3, 2), CAL) == D(2026, 3, 17)  # a Tuesday


def test_art14_last_day_in_the_spring_festival_moves_past_the_holiday():
    # 2026-02-01 + 15 = 2026-02-16, inside the Spring Festival (15–23 February 2026).
    assert clock.mediation_deadline(D(2026, 2, 1), CAL) == D(2026, 2, 24)


def test_art14_last_day_on_a_swapped_working_saturday_stays():
    # 14 February 2026 is a Saturday made a working day for the Spring Festival.
    assert clock.mediation_deadline(D(2026, 1, 30), CAL) == D(2026, 2, 14)


def test_art14_last_day_in_national_day_moves_to_the_first_working_day_after():
    # 2025-09-20 + 15 = 5 October 2025, inside National Day (1–8 October 2025).
    assert clock.mediation_deadline(D(2025, 9, 20), CAL) == D(2025, 10, 9)


def test_art14_last_day_on_an_ordinary_weekend_moves_to_monday():
    assert clock.mediation_deadline(D(2025, 6, 6), CAL) == D(2025, 6, 23)


def test_art14_period_across_a_month_end_and_a_weekend():
    # 2026-01-16 + 15 = Saturday 31 January → Monday 2 February.
    assert clock.mediation_deadline(D(2026, 1, 16), CAL) == D(2026, 2, 2)


def test_art14_period_across_a_leap_day():
    assert clock.mediation_deadline(D(2024, 2, 20), CAL) == D(2024, 3, 6)
    assert clock.mediation_deadline(D(2025, 2, 20), CAL) == D(2025, 3, 7)


def test_art14_agreed_extension_adds_days():
    assert clock.mediation_deadline(D(2026, 3, 2), CAL, extension_days=15) == D(2026, 4, 1)


# ---- Art. 27: the one-year limitation ------------------------------------------------------


def test_art27_one_year_ends_on_the_corresponding_day():
    got = limitation(claim="compensation", knew_on=D(2025, 3, 12), as_of=D(2025, 6, 1))
    assert (got.status, got.deadline) == ("running", D(2026, 3, 12))


def test_art27_from_a_leap_day_ends_on_the_last_day_of_february():
    got = limitation(claim="dismissal", knew_on=D(2024, 2, 29), as_of=D(2024, 6, 1))
    assert got.deadline == D(2025, 2, 28)


def test_art27_from_a_month_end_ending_on_a_weekend_moves_to_monday():
    got = limitation(claim="contract", knew_on=D(2025, 1, 31), as_of=D(2025, 6, 1))
    assert got.deadline == D(2026, 2, 2)


def test_art27_year_ending_in_national_day_moves_past_it():
    got = limitation(claim="compensation", knew_on=D(2025, 10, 1), as_of=D(2025, 10, 20))
    assert got.deadline == D(2026, 10, 8)


def test_art27_4_wages_during_employment_are_not_limited():
    got = limitation(claim="wages", knew_on=D(2020, 1, 1), as_of=D(2026, 6, 1))
    assert (got.status, got.deadline) == ("not_running", None)
    assert got.basis[0].article == clock.ART_27_4


def test_art27_4_wages_run_one_year_from_the_end_of_employment():
    got = limitation(claim="wages", employment_ended_on=D(2025, 3, 15), as_of=D(2025, 4, 1))
    assert got.deadline == D(2026, 3, 16)  # 15 March 2026 is a Sunday


def test_art27_interruption_restarts_the_year():
    got = limitation(
        claim="compensation",
        knew_on=D(2025, 1, 10),
        interruptions=[D(2025, 6, 1)],
        as_of=D(2026, 3, 1),
    )
    assert (got.status, got.deadline) == ("running", D(2026, 6, 1))


def test_art27_an_interruption_after_expiry_does_not_revive_the_claim():
    got = limitation(
        claim="compensation",
        knew_on=D(2024, 1, 10),
        interruptions=[D(2025, 3, 1)],
        as_of=D(2025, 4, 1),
    )
    assert (got.status, got.deadline) == ("expired", D(2025, 1, 10))


def test_art27_suspension_pauses_the_year():
    got = limitation(
        claim="compensation",
        knew_on=D(2025, 1, 10),
        suspensions=[(D(2025, 3, 1), D(2025, 3, 31))],
        as_of=D(2025, 6, 1),
    )
    assert got.deadline == D(2026, 2, 9)


def test_art27_running_on_the_last_day_expired_the_day_after():
    kw = {"claim": "compensation", "knew_on": D(2025, 3, 12)}
    assert limitation(as_of=D(2026, 3, 12), **kw).status == "running"
    assert limitation(as_of=D(2026, 3, 13), **kw).status == "expired"


# ---- the schedule as data ------------------------------------------------------------------


def test_next_years_schedule_is_added_as_data():
    # 2027 is not shipped: the weekday rule answers until the State Council's days are entered.
    plain = clock.Calendar()
    assert plain.next_workday_from(D(2027, 2, 8)) == D(2027, 2, 8)
    assert 2027 in plain.unknown_years
    holidays = {D(2027, 2, 8) + dt.timedelta(days=i): False for i in range(7)}
    holidays[D(2027, 2, 20)] = True  # a swapped working Saturday
    added = clock.Calendar(holidays)
    assert added.next_workday_from(D(2027, 2, 8)) == D(2027, 2, 15)
    assert added.next_workday_from(D(2027, 2, 20)) == D(2027, 2, 20)


def test_confirmation_is_thirty_days_from_the_agreement():
    assert clock.confirmation_deadline(D(2026, 9, 4), CAL) == D(
        2026, 10, 8
    )  # 4 Oct → after National Day


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # a shared, busy machine
@given(st.dates(min_value=D(2020, 1, 1), max_value=D(2026, 11, 30)), st.integers(1, 60))
def test_a_period_ends_on_the_first_working_day_on_or_after_its_nominal_end(start, days):
    end = clock.period_end_days(start, days, CAL)
    nominal = start + dt.timedelta(days=days)
    assert end >= nominal and CAL.is_workday(end)
    assert all(
        not CAL.is_workday(nominal + dt.timedelta(days=i)) for i in range((end - nominal).days)
    )
