"""The calendar page, the administrator's changes, the calculator, the command and the warning.

Assertions on wording use English pages (the language cookie), so the test still holds once
the Chinese catalogue translates the page; everything else asserts dates, classes and data.
"""

from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from yimen.audit.models import Event
from yimen.audit.services import verify_chain
from yimen.workdays.calendar import Deadline
from yimen.workdays.models import CalendarYear, Source, SpecialDay
from yimen.workdays.services import deadline_after, schedule_changed
from yimen.workdays.sources import package_special_days

YEAR_URL = reverse("workdays:year")
DEADLINE_URL = reverse("workdays:deadline")
SET_DAY_URL = reverse("workdays:set_day")
LOAD_URL = reverse("workdays:load_year")
PUBLISH_URL = reverse("workdays:publish_year")
DELETE_URL = reverse("workdays:delete_day", args=[date(2026, 10, 10)])

ADMIN_POSTS = [
    (SET_DAY_URL, {"year": "2026", "date": "2026-03-10", "is_working": "0", "name": "镇庆"}),
    (DELETE_URL, {}),
    (LOAD_URL, {"year": "2026"}),
    (PUBLISH_URL, {"year": "2027", "text": "2027-01-01 休 元旦"}),
]
NOT_ADMINS = ["desk", "desk_b", "director", "mediator", "unit", "grid", "supervisor", "leader"]


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def admin(world, client_for):
    return english(client_for(world.admin))


@pytest.fixture
def receiver():
    """Collects the years ``schedule_changed`` is sent for."""
    years: list[int] = []

    def collect(sender, year, **kwargs):
        years.append(year)

    schedule_changed.connect(collect)
    yield years
    schedule_changed.disconnect(collect)


# --- viewing ------------------------------------------------------------------------------


def test_staff_sees_a_published_year_with_its_special_days(world, client_for):
    html = page(english(client_for(world.desk)).get(YEAR_URL, {"year": 2026}))
    assert "2026-10-10" in html and "2026-02-14" in html  # 调休 Saturdays
    assert "2026-10-01" in html and "国庆节" in html
    assert "Saturday" in html and "adjusted working day" in html
    assert "year-provisional" not in html
    assert f"{YEAR_URL}?year=2025" in html and f"{YEAR_URL}?year=2027" in html


def test_staff_does_not_see_the_administrator_forms(world, client_for):
    html = page(client_for(world.desk).get(YEAR_URL, {"year": 2026}))
    for url in (SET_DAY_URL, LOAD_URL, PUBLISH_URL, DELETE_URL):
        assert url not in html


def test_administrator_sees_the_forms(admin):
    html = page(admin.get(YEAR_URL, {"year": 2026}))
    for url in (SET_DAY_URL, LOAD_URL, PUBLISH_URL, DELETE_URL):
        assert url in html


def test_an_unpublished_year_is_marked_provisional(world, client_for):
    html = page(english(client_for(world.desk)).get(YEAR_URL, {"year": 2027}))
    assert "year-provisional" in html
    assert 'class="badge provisional"' in html
    assert "not loaded" in html


def test_without_a_year_the_page_shows_this_year(world, client_for, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 5, 1))
    html = page(client_for(world.desk).get(YEAR_URL))
    assert f"{YEAR_URL}?year=2025" in html and "2026-05-01" in html


@pytest.mark.parametrize("value", ["abc", "1800", "20277"])
def test_a_bad_year_is_not_found(world, client_for, value):
    assert client_for(world.desk).get(YEAR_URL, {"year": value}).status_code == 404


@pytest.mark.parametrize("url", [YEAR_URL, DEADLINE_URL])
def test_anonymous_is_sent_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_account_outside_the_tree_is_refused(db, client_for):
    from .factories import UserFactory

    assert client_for(UserFactory(jurisdiction=None)).get(YEAR_URL).status_code == 403


# --- who may change the calendar ----------------------------------------------------------


@pytest.mark.parametrize("persona", NOT_ADMINS)
@pytest.mark.parametrize(("url", "data"), ADMIN_POSTS)
def test_only_an_administrator_may_change_the_calendar(world, client_for, persona, url, data):
    before = list(SpecialDay.objects.values_list("date", "is_working", "name"))
    response = client_for(getattr(world, persona)).post(url, data)
    assert response.status_code == 403
    assert list(SpecialDay.objects.values_list("date", "is_working", "name")) == before
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not Event.objects.filter(action__startswith="workdays.").exists()


@pytest.mark.parametrize(("url", "data"), ADMIN_POSTS)
def test_anonymous_posts_go_to_the_login_page(client, db, url, data):
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert SpecialDay.objects.filter(date=date(2026, 10, 10)).exists()


@pytest.mark.parametrize(("url", "data"), ADMIN_POSTS)
def test_changes_need_a_post(admin, url, data):
    assert admin.get(url, data).status_code == 405


def test_changes_need_the_csrf_token(world):
    from django.test import Client

    from .conftest import verify_second_factor

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    verify_second_factor(client, world.admin)
    assert client.post(DELETE_URL).status_code == 403
    assert SpecialDay.objects.filter(date=date(2026, 10, 10)).exists()


# --- the administrator's changes ----------------------------------------------------------


def test_admin_adds_a_local_holiday_and_it_is_audited(world, admin, receiver):
    assert deadline_after(date(2026, 3, 9), 1).date == date(2026, 3, 10)
    response = admin.post(
        SET_DAY_URL,
        {
            "year": "2026",
            "date": "2026-03-10",
            "is_working": "0",
            "name": "镇庆",
            "note": "镇政府通知",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{YEAR_URL}?year=2026"
    day = SpecialDay.objects.get(date=date(2026, 3, 10))
    assert (day.is_working, day.name, day.note, day.source) == (
        False,
        "镇庆",
        "镇政府通知",
        Source.LOCAL,
    )
    assert deadline_after(date(2026, 3, 9), 1).date == date(2026, 3, 11)
    event = Event.objects.get(action="workdays.day.created")
    assert event.actor == world.admin
    assert event.changes["name"] == [None, "镇庆"]
    assert verify_chain() is None
    html = page(admin.get(response["Location"]))
    assert "镇庆" in html and "镇政府通知" in html


def test_admin_changes_a_published_day(admin):
    # Make the National Day 调休 Saturday a holiday after all.
    response = admin.post(
        SET_DAY_URL, {"year": "2026", "date": "2026-10-10", "is_working": "0", "name": "国庆节"}
    )
    assert response.status_code == 302
    assert not SpecialDay.objects.get(date=date(2026, 10, 10)).is_working
    event = Event.objects.get(action="workdays.day.updated")
    assert event.changes["is_working"] == [True, False]
    assert event.changes["source"] == [Source.PACKAGE, Source.LOCAL]
    assert deadline_after(date(2026, 9, 28), 5).date == date(2026, 10, 12)


def test_the_change_link_fills_the_form_with_the_day(admin):
    html = page(admin.get(YEAR_URL, {"year": 2026, "edit": "2026-10-10"}))
    assert 'name="date" value="2026-10-10"' in html
    assert 'value="1" class="choices" required id="day-is_working_1" checked' in html


def test_admin_deletes_a_day_and_it_is_audited(world, admin):
    response = admin.post(DELETE_URL)
    assert response.status_code == 302
    assert response["Location"] == f"{YEAR_URL}?year=2026"
    assert not SpecialDay.objects.filter(date=date(2026, 10, 10)).exists()
    event = Event.objects.get(action="workdays.day.deleted")
    assert event.actor == world.admin
    assert event.changes["is_working"] == [True, None]
    # Sat 10 Oct is an ordinary weekend day again.
    assert deadline_after(date(2026, 9, 28), 5).date == date(2026, 10, 12)


def test_deleting_a_day_that_is_not_special_is_not_found(admin):
    url = reverse("workdays:delete_day", args=[date(2026, 3, 10)])
    assert admin.post(url).status_code == 404
    assert admin.post("/calendar/days/2026-02-30/delete/").status_code == 404
    assert not Event.objects.filter(action__startswith="workdays.").exists()


def test_an_invalid_day_is_shown_again_with_its_error(admin):
    data = {"year": "2026", "date": "2026-02-30", "is_working": "0", "name": "x" * 51}
    html = page(admin.post(SET_DAY_URL, data))
    assert html.count('class="error"') == 2
    assert "Working-day calendar 2026" in html
    assert not Event.objects.filter(action__startswith="workdays.").exists()


def test_admin_loads_a_missing_year_from_the_package(
    world, admin, receiver, django_capture_on_commit_callbacks
):
    SpecialDay.objects.filter(date__year=2026).delete()
    CalendarYear.objects.filter(year=2026).delete()
    assert deadline_after(date(2026, 9, 28), 5).provisional
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(LOAD_URL, {"year": "2026"})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2026).source == Source.PACKAGE
    assert SpecialDay.objects.filter(date__year=2026).count() == len(package_special_days(2026))
    assert deadline_after(date(2026, 9, 28), 5) == Deadline(date(2026, 10, 10), False)
    assert Event.objects.get(action="workdays.year.loaded").actor == world.admin
    assert receiver == [2026]


def test_loading_keeps_the_days_an_administrator_entered(world, admin):
    admin.post(SET_DAY_URL, {"year": "2026", "date": "2026-10-10", "is_working": "0"})
    admin.post(LOAD_URL, {"year": "2026"})
    day = SpecialDay.objects.get(date=date(2026, 10, 10))
    assert (day.is_working, day.source) == (False, Source.LOCAL)
    event = Event.objects.get(action="workdays.year.loaded")
    assert event.changes["kept_admin_days"] == ["2026-10-10"]


def test_loading_a_year_the_package_lacks_says_so(admin):
    response = admin.post(LOAD_URL, {"year": "2027"}, follow=True)
    html = page(response)
    assert "no schedule for 2027" in html
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not Event.objects.filter(action__startswith="workdays.").exists()


TYPED_2027 = "2027-01-01 休 元旦\r\n2027-02-06 班 春节调休\r\n"


def test_publishing_by_hand_makes_the_year_final(
    world, admin, receiver, django_capture_on_commit_callbacks
):
    # Thu 31 Dec 2026 + 1 falls on New Year's Day 2027: a weekday, until the year is loaded.
    assert deadline_after(date(2026, 12, 31), 1) == Deadline(date(2027, 1, 1), True)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(PUBLISH_URL, {"year": "2027", "text": TYPED_2027})
        assert receiver == []  # only once the change is committed
    assert response.status_code == 302
    assert response["Location"] == f"{YEAR_URL}?year=2027"
    assert receiver == [2027]
    assert CalendarYear.objects.get(year=2027).source == Source.ADMIN
    assert deadline_after(date(2026, 12, 31), 1) == Deadline(date(2027, 1, 4), False)
    # Sat 6 Feb 2027 is a working day now.
    assert deadline_after(date(2027, 2, 5), 1) == Deadline(date(2027, 2, 6), False)
    event = Event.objects.get(action="workdays.year.published")
    assert event.actor == world.admin
    assert event.changes["days"] == [
        ["2027-01-01", False, "元旦"],
        ["2027-02-06", True, "春节调休"],
    ]
    html = page(admin.get(response["Location"]))
    assert "year-provisional" not in html and "春节调休" in html


def test_a_bad_line_keeps_the_typed_text_and_names_the_line(
    admin, receiver, django_capture_on_commit_callbacks
):
    typed = (
        "2027-01-01 休 元旦\r\n"
        "2027-13-01 休 不存在\r\n"
        "  2027-02-06 班 春节调休  \r\n"
        "2026-10-01 休 国庆\r\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        html = page(admin.post(PUBLISH_URL, {"year": "2027", "text": typed}))
    assert f'id="publish-text">\n{typed}</textarea>' in html
    assert "Line 2:" in html and "2027-13-01 休 不存在" in html
    assert "Line 4:" in html and "is not in 2027" in html
    assert "Line 1:" not in html and "Line 3:" not in html
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not SpecialDay.objects.filter(date__year=2027).exists()
    assert receiver == []


def test_an_empty_schedule_is_refused(admin):
    html = page(admin.post(PUBLISH_URL, {"year": "2027", "text": "# nothing yet\r\n"}))
    assert "at least one" in html
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_changing_a_day_sends_schedule_changed(admin, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(SET_DAY_URL, {"year": "2026", "date": "2026-03-10", "is_working": "0"})
        admin.post(reverse("workdays:delete_day", args=[date(2026, 3, 10)]))
    assert receiver == [2026, 2026]


# --- the deadline calculator --------------------------------------------------------------


def test_the_calculator_counts_a_published_deadline(world, client_for):
    html = page(client_for(world.desk).get(DEADLINE_URL, {"start": "2026-09-28", "days": "5"}))
    assert '<time datetime="2026-10-10">' in html
    assert "badge provisional" not in html


def test_the_calculator_marks_a_2027_result_provisional(world, client_for):
    client = english(client_for(world.desk_b))
    html = page(client.get(DEADLINE_URL, {"start": "2026-12-20", "days": "15"}))
    # Weekends-only from Fri 1 Jan 2027: Dec 21–25, 28–31, Jan 1, Jan 4–8.
    assert '<time datetime="2027-01-08">' in html
    assert 'class="badge provisional"' in html
    assert "provisional-note" in html and "for 2027 is not loaded" in html


def test_the_calculator_shows_errors_and_no_result(world, client_for):
    html = page(client_for(world.desk).get(DEADLINE_URL, {"start": "2026-09-28", "days": "-1"}))
    assert 'class="error"' in html and "<time" not in html


def test_the_calculator_starts_empty(world, client_for):
    html = page(client_for(world.desk).get(DEADLINE_URL))
    assert "<time" not in html and 'name="days" value="7"' in html


# --- the load_calendar command ------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_calendar", *args, stdout=out)
    return out.getvalue()


def test_the_command_loads_missing_years_and_is_idempotent(db):
    SpecialDay.objects.filter(date__year=2025).delete()
    CalendarYear.objects.filter(year=2025).delete()
    first = run()
    assert "2025: loaded" in first and "2024" not in first
    assert SpecialDay.objects.filter(date__year=2025).count() == len(package_special_days(2025))
    snapshot = list(SpecialDay.objects.values_list("date", "is_working", "name", "source"))
    second = run()
    assert "already loaded" in second and "2025: loaded" not in second
    assert list(SpecialDay.objects.values_list("date", "is_working", "name", "source")) == snapshot
    assert Event.objects.filter(action="workdays.year.loaded").count() == 1


def test_the_command_skips_a_loaded_year_unless_asked_to_reload(db):
    assert "2026: already loaded" in run("2026")
    assert not Event.objects.exists()
    assert "2026: loaded" in run("2026", "--reload")
    assert Event.objects.filter(action="workdays.year.loaded").count() == 1


def test_the_command_fails_for_a_year_the_package_lacks(db):
    with pytest.raises(CommandError, match="no schedule for 2027") as failure:
        run("2027")
    assert failure.value.returncode == 1
    assert not CalendarYear.objects.filter(year=2027).exists()


# --- the warning on the administrator's home page -----------------------------------------


def _home(client, monkeypatch, today: date) -> str:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    return page(client.get("/"))


def test_from_october_the_admin_home_warns_that_next_year_is_missing(
    world, client_for, monkeypatch
):
    warning = f'href="{YEAR_URL}?year=2027"'
    admin = client_for(world.admin)
    assert warning in _home(admin, monkeypatch, date(2026, 10, 1))
    assert warning not in _home(admin, monkeypatch, date(2026, 9, 30))
    assert warning not in _home(client_for(world.desk), monkeypatch, date(2026, 10, 1))


def test_the_warning_goes_once_the_year_is_published(world, client_for, monkeypatch):
    admin = client_for(world.admin)
    admin.post(PUBLISH_URL, {"year": "2027", "text": TYPED_2027})
    assert f'href="{YEAR_URL}?year=2027"' not in _home(admin, monkeypatch, date(2026, 11, 1))


def test_only_an_administrator_at_the_top_of_the_tree_edits_the_national_calendar(
    world, client_for
):
    response = client_for(world.admin_b).post(
        "/calendar/days/", {"date": "2026-06-01", "is_working": "", "name": "本地节日"}
    )
    assert response.status_code == 403


def test_publishing_by_hand_keeps_local_holidays_and_loading_replaces_hand_typos(world):
    from yimen.workdays import services

    services.set_special_day(date(2027, 6, 1), is_working=False, name="镇庆", actor=world.admin)
    lines = services.parse_schedule("2027-01-01 休 元旦\n2027-01-04 休 手误", 2027)
    services.publish_year(2027, lines, actor=world.admin)
    assert SpecialDay.objects.get(date=date(2027, 6, 1)).source == Source.LOCAL
    assert SpecialDay.objects.filter(date__year=2027).count() == 3
    services.publish_year(2027, lines[:1], actor=world.admin)  # the typo is corrected
    assert not SpecialDay.objects.filter(date=date(2027, 1, 4)).exists()
    assert SpecialDay.objects.filter(date=date(2027, 6, 1)).exists()
