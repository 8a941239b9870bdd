"""The published State Council schedule, read from the ``chinesecalendar`` package.

Kept free of models so the data migration can use it too.
"""

from datetime import date

import chinese_calendar

_CHINESE_NAMES = {h.value: h.chinese for h in chinese_calendar.Holiday}


class YearNotPublished(LookupError):
    """The package has no schedule for this year (not yet published, or too old)."""


def package_years() -> range:
    """The years the installed package covers."""
    dates = list(chinese_calendar.holidays)
    return range(min(dates).year, max(dates).year + 1)


def package_special_days(year: int) -> list[tuple[date, bool, str]]:
    """``(date, is_working, name)`` for the year's holidays and adjusted working weekends."""
    if year not in package_years():
        raise YearNotPublished(year)
    days = [
        (day, False, _CHINESE_NAMES.get(name, name))
        for day, name in chinese_calendar.holidays.items()
        if day.year == year
    ]
    days += [
        (day, True, _CHINESE_NAMES.get(name, name))
        for day, name in chinese_calendar.workdays.items()
        if day.year == year
    ]
    return sorted(days)
