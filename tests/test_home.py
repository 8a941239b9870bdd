"""The layout: home page, navigation by role, language, error pages."""

from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error


def test_home_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_greets_the_user_in_chinese(world, client_for):
    page = client_for(world.desk).get("/").content.decode()
    assert 'lang="zh-hans"' in page
    assert world.community_a.name in page


def test_navigation_follows_the_role(world, client_for):
    admin_page = client_for(world.admin).get("/").content.decode()
    desk_page = client_for(world.desk).get("/").content.decode()
    assert reverse("org:users") in admin_page
    assert reverse("audit:events") in admin_page
    assert reverse("org:users") not in desk_page
    assert reverse("audit:events") not in desk_page


def test_english_is_one_click_away(world, client_for):
    client = client_for(world.desk)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Log out" in page


def test_account_without_a_jurisdiction_sees_nothing(db, client_for):
    from .factories import UserFactory

    response = client_for(UserFactory(jurisdiction=None)).get("/")
    assert response.status_code == 403


def test_not_found_page_says_what_to_do(world, client_for):
    response = client_for(world.desk).get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert reverse("home") in page
    assert "<h1>" in page


def test_server_error_page_is_bilingual_and_standalone():
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "出错了" in page and "Server error" in page


def test_debug_is_off_by_default(settings):
    assert settings.DEBUG is False
