"""Cross-check of the seeded calendar (from ``chinesecalendar``) against ``holidays``.

Two independently maintained packages agreeing on every published year is the best check
we have that the table is right. They differ in one way that matters: ``chinesecalendar``
refuses a year the State Council has not published, ``holidays`` guesses it.
"""

from datetime import date, timedelta

import holidays
import pytest

from yimen.workdays.services import load_calendar
from yimen.workdays.sources import YearNotPublished, package_special_days

YEARS = range(2020, 2027)


@pytest.fixture
def seeded(db):
    return load_calendar(date(YEARS.start, 1, 1), date(YEARS.stop - 1, 12, 31))


def _describe(days: list[tuple[date, str]]) -> str:
    return "; ".join(f"{d.isoformat()} {d:%a} {name}" for d, name in days)


@pytest.mark.parametrize("year", YEARS)
def test_every_holiday_listed_by_holidays_is_a_day_off(seeded, year):
    listed = holidays.China(years=year)
    assert len(listed) >= 15, f"holidays lists only {len(listed)} days for {year}"
    working = sorted((d, name) for d, name in listed.items() if seeded.is_working_day(d))
    assert not working, f"{year}: holidays says off, our table says working: {_describe(working)}"


@pytest.mark.parametrize("year", YEARS)
def test_every_weekday_holiday_in_our_table_is_listed_by_holidays(seeded, year):
    listed = holidays.China(years=year)
    ours = [
        (d, name)
        for d, working, name in package_special_days(year)
        if not working and d.weekday() < 5
    ]
    assert ours, f"no weekday holidays for {year}"
    unknown = sorted((d, name) for d, name in ours if d not in listed)
    assert not unknown, f"{year}: ours says off, holidays does not list: {_describe(unknown)}"


@pytest.mark.parametrize("year", YEARS)
def test_adjusted_working_weekends_agree(seeded, year):
    theirs = {d for d in holidays.China(years=year).weekend_workdays if d.year == year}
    days = (date(year, 1, 1) + timedelta(days=n) for n in range(366))
    ours = {d for d in days if d.year == year and d.weekday() >= 5 and seeded.is_working_day(d)}
    assert ours, f"no adjusted working weekends (调休) in {year}"
    assert ours == theirs, (
        f"{year}: only ours: {sorted(ours - theirs)}, only holidays: {sorted(theirs - ours)}"
    )


def test_holidays_guesses_an_unpublished_year_while_our_package_refuses():
    guessed = holidays.China(years=2027)
    assert guessed, "holidays returns a schedule for 2027, though none is published"
    assert date(2027, 1, 1) in guessed
    with pytest.raises(YearNotPublished):
        package_special_days(2027)


def test_an_unpublished_year_is_not_in_the_seeded_table(db):
    from yimen.workdays.models import CalendarYear, SpecialDay

    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not SpecialDay.objects.filter(date__year=2027).exists()
