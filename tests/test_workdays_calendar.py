"""Working-day arithmetic against the published State Council schedule, with fixed dates.

Published-date tests read the table the migration seeds from ``chinesecalendar`` (through
``load_calendar``, as the app does); rule tests build a ``WorkCalendar`` by hand.
"""

from datetime import date, timedelta

import pytest

from yimen.workdays.calendar import (
    WorkCalendar,
    add_working_days,
    missing_years,
    working_days_between,
)
from yimen.workdays.services import calendar_warnings, deadline_after, load_calendar

# A hand-made calendar for pure rule tests: 2030 is "published" with one holiday (Wed 2 Jan)
# and one adjusted working Saturday (5 Jan); 2031 is not published.
HAND = WorkCalendar({date(2030, 1, 2): False, date(2030, 1, 5): True}, frozenset({2030}))


@pytest.fixture
def cal(db):
    """The seeded calendar around 2026 (also reaching into unpublished 2027)."""
    return load_calendar(date(2025, 12, 1), date(2027, 3, 31))


def add(start: date, days: int, calendar: WorkCalendar) -> date:
    return add_working_days(start, days, calendar).date


# --- published dates (2026 schedule, 国务院办公厅 notice for 2026) -------------------------


def test_an_adjusted_working_saturday_counts(cal):
    # Mon 28 Sep; 29, 30 Sep; 1–7 Oct National Day off; Thu 8, Fri 9, Sat 10 Oct (调休) works.
    assert add(date(2026, 9, 28), 5, cal) == date(2026, 10, 10)
    assert cal.is_working_day(date(2026, 10, 10))  # a Saturday
    assert cal.is_working_day(date(2026, 9, 20))  # a Sunday


def test_national_day_week_is_skipped(cal):
    assert not any(cal.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert add(date(2026, 9, 30), 1, cal) == date(2026, 10, 8)


def test_spring_festival_long_holiday(cal):
    # Off 15–23 Feb 2026 (nine days); Sat 14 Feb and Sat 28 Feb are working days.
    assert not any(cal.is_working_day(date(2026, 2, d)) for d in range(15, 24))
    assert cal.is_working_day(date(2026, 2, 14))
    assert add(date(2026, 2, 13), 1, cal) == date(2026, 2, 14)
    assert add(date(2026, 2, 14), 1, cal) == date(2026, 2, 24)
    # Fri 13 Feb + 7: Sat 14, Tue 24, 25, 26, 27, Sat 28, Mon 2 Mar.
    assert add(date(2026, 2, 13), 7, cal) == date(2026, 3, 2)


def test_new_year_holiday_and_its_working_sunday(cal):
    # 1–3 Jan 2026 off, Sun 4 Jan works.
    assert add(date(2025, 12, 31), 1, cal) == date(2026, 1, 4)


def test_start_on_a_holiday_counts_from_the_next_working_day(cal):
    assert add(date(2026, 10, 3), 1, cal) == date(2026, 10, 8)


def test_start_on_a_weekend_counts_from_monday(cal):
    # Sat 7 Mar 2026 (an ordinary weekend): Mon 9 Mar is the first working day.
    assert add(date(2026, 3, 7), 1, cal) == date(2026, 3, 9)
    assert add(date(2026, 3, 8), 5, cal) == date(2026, 3, 13)


def test_the_start_day_itself_never_counts(cal):
    # Fri 6 Mar is a working day, yet 1 working day after it is Monday.
    assert add(date(2026, 3, 6), 1, cal) == date(2026, 3, 9)


def test_zero_days_is_the_start_day(cal):
    result = add_working_days(date(2026, 10, 3), 0, cal)
    assert result.date == date(2026, 10, 3)
    assert not result.provisional


def test_negative_days_raise(cal):
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 6), -1, cal)


def test_a_deadline_inside_a_published_year_is_final(cal):
    assert not add_working_days(date(2026, 12, 1), 15, cal).provisional


def test_a_deadline_crossing_into_an_unpublished_year_is_provisional(cal):
    # 2027 is not in the package: weekends-only, so Thu 31 Dec 2026 + 1 = Fri 1 Jan 2027.
    result = add_working_days(date(2026, 12, 31), 1, cal)
    assert result.date == date(2027, 1, 1)
    assert result.provisional


def test_a_deadline_ending_the_last_day_before_an_unpublished_year_is_final(cal):
    # Mon 28 Dec 2026 + 3 = Thu 31 Dec: nothing of 2027 was counted.
    result = add_working_days(date(2026, 12, 28), 3, cal)
    assert result.date == date(2026, 12, 31)
    assert not result.provisional


def test_deadline_after_reads_the_database(db):
    assert deadline_after(date(2026, 9, 28), 5).date == date(2026, 10, 10)


def test_deadline_after_loads_enough_days_for_a_long_count(db):
    # 300 working days from 2025 run into 2026: the loaded span must cover 2026's holidays.
    start = date(2025, 1, 2)
    expected = add_working_days(start, 300, load_calendar(start, date(2026, 12, 31)))
    assert deadline_after(start, 300) == expected
    weekdays_only = add_working_days(start, 300, WorkCalendar({}, frozenset({2025, 2026})))
    assert expected.date != weekdays_only.date


def test_working_days_between_across_national_day(cal):
    assert working_days_between(date(2026, 9, 28), date(2026, 10, 10), cal) == 5
    assert working_days_between(date(2026, 10, 10), date(2026, 9, 28), cal) == -5
    assert working_days_between(date(2026, 10, 3), date(2026, 10, 3), cal) == 0


def test_the_working_days_of_2026(db):
    # 261 weekdays − 19 weekday holidays + 6 adjusted working weekends (调休).
    full = load_calendar(date(2026, 1, 1), date(2026, 12, 31))
    assert working_days_between(date(2025, 12, 31), date(2026, 12, 31), full) == 248


# --- rules, on a hand-made calendar -------------------------------------------------------


def test_rule_weekdays_work_and_weekends_do_not():
    empty = WorkCalendar({}, frozenset({2031}))
    assert empty.is_working_day(date(2031, 1, 3))  # Friday
    assert not empty.is_working_day(date(2031, 1, 4))  # Saturday


def test_rule_special_days_override_the_weekday():
    assert not HAND.is_working_day(date(2030, 1, 2))  # a Wednesday holiday
    assert HAND.is_working_day(date(2030, 1, 5))  # a working Saturday
    # From Tue 1 Jan 2030: Wed 2 is off, Thu 3 and Fri 4 work, Sat 5 works, Sun 6 does not.
    assert add(date(2030, 1, 1), 2, HAND) == date(2030, 1, 4)
    assert add(date(2030, 1, 1), 3, HAND) == date(2030, 1, 5)
    assert add(date(2030, 1, 1), 4, HAND) == date(2030, 1, 7)


def test_rule_provisional_only_when_counting_touches_an_unpublished_year():
    assert not add_working_days(date(2030, 1, 1), 10, HAND).provisional
    assert add_working_days(date(2030, 12, 30), 2, HAND).provisional  # into 2031
    assert add_working_days(date(2029, 12, 30), 2, HAND).provisional  # from 2029


def test_rule_counting_is_weekends_only_in_an_unpublished_year():
    # Fri 3 Jan 2031 + 1 = Mon 6 Jan 2031, whatever holiday 2031 may bring.
    assert add(date(2031, 1, 3), 1, HAND) == date(2031, 1, 6)


def test_rule_between_and_add_agree():
    start = date(2030, 1, 1)
    for days in range(0, 40):
        end = add(start, days, HAND)
        assert working_days_between(start, end, HAND) == days


def test_missing_years_before_october_is_only_this_year():
    published = WorkCalendar({}, frozenset({2026}))
    assert missing_years(date(2026, 9, 30), published) == []
    assert missing_years(date(2027, 3, 1), published) == [2027]


def test_missing_years_from_october_includes_next_year():
    published = WorkCalendar({}, frozenset({2026}))
    assert missing_years(date(2026, 10, 1), published) == [2027]
    assert missing_years(date(2026, 12, 31), published) == [2027]
    both = WorkCalendar({}, frozenset({2026, 2027}))
    assert missing_years(date(2026, 10, 1), both) == []


def test_missing_years_month_is_configurable():
    published = WorkCalendar({}, frozenset({2026}))
    assert missing_years(date(2026, 11, 1), published, warn_from_month=12) == []
    assert missing_years(date(2026, 12, 1), published, warn_from_month=12) == [2027]


def test_calendar_warnings_reads_the_seeded_years(db, settings):
    settings.YIMEN_CALENDAR_WARN_FROM_MONTH = 10
    assert calendar_warnings(date(2026, 9, 30)) == []
    assert calendar_warnings(date(2026, 10, 1)) == [2027]
    assert calendar_warnings(date(2027, 1, 4)) == [2027]


def test_seeded_table_covers_every_package_year(db):
    from yimen.workdays.models import CalendarYear
    from yimen.workdays.sources import package_years

    assert set(CalendarYear.objects.values_list("year", flat=True)) >= set(package_years())
    assert set(package_years()) >= set(range(2004, 2027))


def test_days_between_never_count_the_start(cal):
    # Holiday start, holiday end: no working day in between.
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 7), cal) == 0
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 1) + timedelta(days=7), cal) == 1
