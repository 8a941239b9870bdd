"""Notification channels: e-mail by each user's choice, and units' signed webhooks.

Tasks run eagerly here (see conftest), so an e-mail lands in ``mail.outbox`` and a webhook
reaches the local HTTP server below before the call that queued it returns.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from yimen.audit.models import Event
from yimen.cases import workflow as wf
from yimen.cases.models import Category, Complexity, Status
from yimen.jobs.models import FailedTask
from yimen.notices import services, webhooks
from yimen.notices.models import (
    NoticeKind,
    Notification,
    UnitWebhook,
    WebhookDelivery,
    validate_webhook_url,
)
from yimen.notices.tasks import deliver_webhook, send_notification_email

PHONE = "13812345678"
ID_NUMBER = "110101199001011234"


class Receiver:
    """A webhook endpoint on 127.0.0.1 (ephemeral port) in a thread: it records every request
    and answers with the next status of ``statuses`` (the last one repeats), after ``delay``."""

    def __init__(self):
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses = [200]
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses[min(len(receiver.requests), len(receiver.statuses)) - 1]
                if receiver.delay:
                    time.sleep(receiver.delay)
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b"boom" if status >= 500 else b"ok")
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/yimen"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def bodies(self):
        return [json.loads(body) for _headers, body in self.requests]


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()
    r.thread.join(timeout=5)


@pytest.fixture
def fast_webhooks(settings):
    settings.YIMEN_WEBHOOK_TIMEOUT = 0.3
    settings.YIMEN_WEBHOOK_MAX_TRIES = 3
    settings.YIMEN_WEBHOOK_BACKOFF_SECONDS = 1


def register(w, **kwargs):
    defaults = {
        "title": "楼上漏水",
        "description": "楼上卫生间漏水到楼下，多次协商未果。",
        "channel": "visit",
        "jurisdiction": w.community_a,
        "parties": [wf.NewParty("王芳", "applicant", PHONE, ID_NUMBER)],
    }
    defaults.update(kwargs)
    return wf.register_case(
        actor=w.desk, category=Category.objects.get(code="neighbour"), **defaults
    ).case


def route(w, case, unit=None, co_units=()):
    wf.route_case(
        case,
        actor=w.director,
        unit=unit or w.committee_a,
        complexity=Complexity.GENERAL,
        co_units=co_units,
        override_reason="" if unit is None else "测试",
    )


def with_email(*users):
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def hook_for(unit, url, events=(NoticeKind.ASSIGNED,)):
    return UnitWebhook.objects.create(unit=unit, url=url, events=list(events))


# --- e-mail ------------------------------------------------------------------------------


def test_the_default_choice_e_mails_urgent_and_overdue_only(
    world, django_capture_on_commit_callbacks
):
    with_email(world.desk)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([world.desk], kind=NoticeKind.ASSIGNED, message="新交办")
        services.notify([world.desk], kind=NoticeKind.OVERDUE, message="已超期 YM-1")
    assert Notification.objects.filter(recipient=world.desk).count() == 2  # both in-app
    assert [m.to for m in mail.outbox] == [["desk@example.org"]]
    assert "已超期 YM-1" in mail.outbox[0].subject
    assert "已超期 YM-1" in mail.outbox[0].body
    assert "/notices/preferences/" in mail.outbox[0].body


def test_a_users_choice_is_respected(world, django_capture_on_commit_callbacks):
    with_email(world.desk, world.mediator)
    services.set_email_kinds(world.desk, [NoticeKind.ASSIGNED])
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([world.desk, world.mediator], kind=NoticeKind.ASSIGNED, message="a")
        services.notify([world.desk, world.mediator], kind=NoticeKind.OVERDUE, message="b")
    sent = sorted((m.to[0], m.body.split("\n")[2]) for m in mail.outbox)
    assert sent == [("desk@example.org", "a"), ("mediator@example.org", "b")]


def test_urgent_always_comes_by_e_mail_even_when_unchosen(
    world, django_capture_on_commit_callbacks
):
    with_email(world.director)
    services.set_email_kinds(world.director, [])
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([world.director], kind=NoticeKind.URGENT, message="紧急")
    assert [m.to for m in mail.outbox] == [["director@example.org"]]


def test_an_urgent_case_reaches_the_director_and_the_leader_by_e_mail_at_once(
    cases_world, django_capture_on_commit_callbacks
):
    w = cases_world
    with_email(w.director, w.leader, w.desk, w.desk_b)
    with django_capture_on_commit_callbacks(execute=True):
        case = register(w, is_urgent=True)
    recipients = {m.to[0] for m in mail.outbox}
    assert {"director@example.org", "leader@example.org"} <= recipients
    assert "desk@example.org" not in recipients and "desk_b@example.org" not in recipients
    assert all(case.receipt_number in m.body for m in mail.outbox)
    assert all(PHONE not in m.body and ID_NUMBER not in m.body for m in mail.outbox)


def test_an_urgent_case_also_goes_to_the_webhooks_of_the_recipients_units(
    cases_world, receiver, django_capture_on_commit_callbacks
):
    w = cases_world
    w.director.unit = w.hall
    w.director.save()
    hook_for(w.hall, receiver.url, events=[NoticeKind.URGENT])
    with django_capture_on_commit_callbacks(execute=True):
        case = register(w, is_urgent=True)
    [body] = receiver.bodies()
    assert body["event"] == "urgent" and body["case"]["receipt_number"] == case.receipt_number


def test_no_address_or_an_inactive_account_gets_no_e_mail(
    world, django_capture_on_commit_callbacks
):
    world.mediator.is_active = False
    world.mediator.email = "gone@example.org"
    world.mediator.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([world.desk, world.mediator], kind=NoticeKind.URGENT, message="x")
    assert mail.outbox == []


def test_an_e_mail_delivered_twice_is_sent_once(world):
    with_email(world.desk)
    services.notify([world.desk], kind=NoticeKind.URGENT, message="x")  # not committed: no send
    notification = Notification.objects.get()
    assert send_notification_email.apply(args=[notification.pk]).get() == "sent"
    assert send_notification_email.apply(args=[notification.pk]).get() == "skipped"
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_failing_mail_server_is_retried_then_recorded(world, settings, monkeypatch):
    with_email(world.desk)
    services.notify([world.desk], kind=NoticeKind.URGENT, message="x")
    notification = Notification.objects.get()
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr("yimen.notices.tasks.send_mail", broken)
    send_notification_email.apply(args=[notification.pk])
    assert len(calls) == 4  # the first try and three retries
    failed = FailedTask.objects.get()
    assert failed.task_name == "notices.send_email" and failed.args == [notification.pk]
    assert failed.tries == 4 and "no SMTP server" in failed.exception


def test_the_preferences_page_saves_choices_and_address(world, client_for):
    client = client_for(world.desk)
    page = client.get("/notices/preferences/")
    assert page.status_code == 200
    assert page.context["form"]["email_kinds"].initial == ["overdue"]  # urgent is not a choice
    answer = client.post(
        "/notices/preferences/",
        {"email": "desk@example.org", "email_kinds": ["assigned", "reminder_slip"]},
    )
    assert answer.status_code == 302
    world.desk.refresh_from_db()
    assert world.desk.email == "desk@example.org"
    pref = world.desk.notification_preference
    assert pref.email_kinds == ["assigned", "reminder_slip"]
    assert Event.objects.filter(action="notices.preferences.updated").count() == 1


def test_the_preferences_page_refuses_a_bad_address(world, client_for):
    answer = client_for(world.desk).post("/notices/preferences/", {"email": "not-an-address"})
    assert answer.status_code == 200
    assert "email" in answer.context["form"].errors


def test_the_preferences_page_needs_a_login(client):
    assert client.get("/notices/preferences/").status_code == 302


# --- webhooks ----------------------------------------------------------------------------


def test_a_routed_case_reaches_the_units_webhook_signed(
    cases_world, receiver, django_capture_on_commit_callbacks
):
    w = cases_world
    hook = hook_for(w.committee_a, receiver.url)
    case = register(w)
    with django_capture_on_commit_callbacks(execute=True):
        route(w, case)

    [(headers, raw)] = receiver.requests
    assert webhooks.verify(hook.secret, raw, headers["X-Yimen-Signature"])
    assert not webhooks.verify("another secret", raw, headers["X-Yimen-Signature"])
    assert headers["X-Yimen-Event"] == "assigned"
    assert headers["Content-Type"].startswith("application/json")
    body = json.loads(raw)
    case.refresh_from_db()
    assert body["case"] == {
        "id": case.pk,
        "receipt_number": case.receipt_number,
        "status": "routed",
        "category": "neighbour",
        "jurisdiction": "CA",
        "lead_unit": {"id": w.committee_a.pk, "name": w.committee_a.name},
        "deadline": case.deadline.isoformat(),
        "urgent": False,
        "url": f"http://127.0.0.1:8000/cases/{case.pk}/",
    }
    assert body["unit"]["id"] == w.committee_a.pk and body["data"] == {"role": "lead"}
    assert PHONE.encode() not in raw and ID_NUMBER.encode() not in raw
    assert "王芳".encode() not in raw

    [delivery] = WebhookDelivery.objects.all()
    assert headers["X-Yimen-Delivery"] == str(delivery.delivery_id)
    assert delivery.status_code == 200 and delivery.delivered_at and delivery.attempt == 1
    # The unit's staff got the in-app notification too.
    assert Notification.objects.filter(recipient=w.mediator, kind="assigned").exists()


def test_a_webhook_gets_only_the_events_it_chose(
    cases_world, receiver, django_capture_on_commit_callbacks
):
    w = cases_world
    hook_for(w.committee_a, receiver.url, events=[NoticeKind.OVERDUE])
    UnitWebhook.objects.create(
        unit=w.committee_a, url=receiver.url, events=["assigned"], is_active=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        route(w, register(w))
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_co_units_webhooks_are_told_their_role(
    cases_world, receiver, django_capture_on_commit_callbacks
):
    w = cases_world
    hook_for(w.judicial, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        route(w, register(w), co_units=[w.judicial])
    [body] = receiver.bodies()
    assert body["unit"]["id"] == w.judicial.pk and body["data"] == {"role": "co"}


def test_an_endpoint_answering_500_is_retried_logged_and_recorded(
    cases_world, receiver, fast_webhooks, django_capture_on_commit_callbacks
):
    w = cases_world
    receiver.statuses = [500]
    hook_for(w.committee_a, receiver.url)
    case = register(w)
    with django_capture_on_commit_callbacks(execute=True):
        route(w, case)

    assert len(receiver.requests) == 3
    ids = {headers["X-Yimen-Delivery"] for headers, _body in receiver.requests}
    assert len(ids) == 1  # one delivery id across the tries, so a receiver can drop repeats
    attempts = list(WebhookDelivery.objects.order_by("attempt"))
    assert [d.attempt for d in attempts] == [1, 2, 3]
    assert all(d.status_code == 500 and d.delivered_at is None for d in attempts)
    assert "500" in attempts[0].error and "boom" in attempts[0].error
    assert attempts[0].next_try_at and attempts[1].next_try_at and attempts[2].next_try_at is None
    failed = FailedTask.objects.get()
    assert failed.task_name == "notices.deliver_webhook" and failed.tries == 3
    assert receiver.url in failed.exception
    case.refresh_from_db()
    assert case.status == Status.ROUTED  # the case never depends on its notifications


def test_an_endpoint_that_does_not_answer_in_time_is_retried_and_logged(
    cases_world, receiver, fast_webhooks, django_capture_on_commit_callbacks
):
    w = cases_world
    receiver.delay = 1.0
    hook_for(w.committee_a, receiver.url)
    case = register(w)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        route(w, case)
    assert time.monotonic() - started < 5
    attempts = list(WebhookDelivery.objects.order_by("attempt"))
    assert len(attempts) == 3
    assert all(d.status_code is None and "0.3" in d.error for d in attempts)
    assert FailedTask.objects.filter(task_name="notices.deliver_webhook").count() == 1
    case.refresh_from_db()
    assert case.status == Status.ROUTED


def test_a_delivery_that_fails_once_succeeds_on_the_next_try(
    cases_world, receiver, fast_webhooks, django_capture_on_commit_callbacks
):
    w = cases_world
    receiver.statuses = [503, 204]
    hook_for(w.committee_a, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        route(w, register(w))
    attempts = list(WebhookDelivery.objects.order_by("attempt"))
    assert [(d.attempt, d.status_code, bool(d.delivered_at)) for d in attempts] == [
        (1, 503, False),
        (2, 204, True),
    ]
    assert not FailedTask.objects.exists()


def test_an_unreachable_endpoint_is_a_logged_failure(cases_world, fast_webhooks):
    w = cases_world
    hook = hook_for(w.committee_a, "http://127.0.0.1:9/nothing-listens-here")
    [delivery] = services.send_webhooks(w.committee_a, kind="assigned", message="m")

    deliver_webhook.apply(args=[delivery.pk])
    attempts = WebhookDelivery.objects.filter(webhook=hook)
    assert attempts.count() == 3
    assert all(d.status_code is None and d.error and not d.delivered_at for d in attempts)
    assert FailedTask.objects.filter(task_name="notices.deliver_webhook").exists()


def test_a_broker_that_does_not_answer_leaves_the_case_as_it_is(
    cases_world, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    w = cases_world
    hook_for(w.committee_a, receiver.url)

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("yimen.notices.tasks.deliver_webhook.delay", down)
    case = register(w)
    with django_capture_on_commit_callbacks(execute=True):
        route(w, case)
    case.refresh_from_db()
    assert case.status == Status.ROUTED
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.tried_at is None  # kept as "waiting" in the webhook's log
    assert receiver.requests == []


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/hook", "file:///etc/passwd", "javascript:alert(1)", "gopher://x/"],
)
def test_a_webhook_address_that_is_not_http_is_refused_with_a_reason(url):
    with pytest.raises(ValidationError) as error:
        validate_webhook_url(url)
    assert "http://" in error.value.messages[0] and "https://" in error.value.messages[0]


def test_an_incomplete_address_is_refused():
    with pytest.raises(ValidationError):
        validate_webhook_url("http://")


def test_sending_refuses_a_non_http_address_even_if_stored():
    outcome = webhooks.post("file:///etc/passwd", b"{}", {}, timeout=1)
    assert not outcome.ok and "http://" in outcome.error


def test_a_redirect_is_not_followed(receiver):
    receiver.statuses = [302]
    outcome = webhooks.post(receiver.url, b"{}", {}, timeout=2)
    assert not outcome.ok and outcome.status_code == 302


# --- the webhook pages -------------------------------------------------------------------


def test_creating_a_webhook_shows_its_secret_once(world, client_for):
    client = client_for(world.admin)
    answer = client.post(
        "/notices/webhooks/",
        {"unit": world.police.pk, "url": "https://example.org/hook", "events": ["assigned"],
         "is_active": "on"},
    )  # fmt: skip
    hook = UnitWebhook.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/notices/webhooks/{hook.pk}/"
    assert hook.secret in client.get(answer["Location"]).content.decode()
    assert hook.secret not in client.get(answer["Location"]).content.decode()
    event = Event.objects.get(action="notices.webhook.created")
    assert hook.secret not in json.dumps(event.changes)


def test_a_non_http_address_is_refused_on_the_page(world, client_for):
    answer = client_for(world.admin).post(
        "/notices/webhooks/",
        {"unit": world.police.pk, "url": "ftp://example.org/hook", "events": ["assigned"]},
    )
    assert answer.status_code == 200
    [message] = answer.context["form"].errors["url"]
    assert "http://" in message and "ftp" in message
    assert not UnitWebhook.objects.exists()


def test_a_webhook_needs_an_event(world, client_for):
    answer = client_for(world.admin).post(
        "/notices/webhooks/", {"unit": world.police.pk, "url": "https://example.org/h"}
    )
    assert answer.status_code == 200 and "events" in answer.context["form"].errors


def test_webhook_pages_are_for_administrators_only(world, client_for):
    hook = hook_for(world.police, "https://example.org/h")
    for user in (world.desk, world.director, world.supervisor):
        client = client_for(user)
        assert client.get("/notices/webhooks/").status_code == 403
        assert client.get(f"/notices/webhooks/{hook.pk}/").status_code == 403


def test_an_administrator_sees_only_webhooks_in_scope(world, client_for):
    hook = hook_for(world.police, "https://example.org/street-hook")
    own = hook_for(world.station_b, "https://example.org/b-hook")
    client = client_for(world.admin_b)
    listing = client.get("/notices/webhooks/").content.decode()
    assert "b-hook" in listing and "street-hook" not in listing
    assert client.get(f"/notices/webhooks/{hook.pk}/").status_code == 404
    assert client.post(f"/notices/webhooks/{hook.pk}/delete/").status_code == 404
    assert client.get(f"/notices/webhooks/{own.pk}/").status_code == 200
    # Nor can a unit outside the scope be chosen for a new webhook.
    answer = client.post(
        "/notices/webhooks/",
        {"unit": world.police.pk, "url": "https://example.org/x", "events": ["assigned"]},
    )
    assert "unit" in answer.context["form"].errors


def test_editing_rotating_testing_and_deleting_a_webhook(
    world, client_for, receiver, django_capture_on_commit_callbacks
):
    hook = hook_for(world.police, receiver.url)
    old_secret = hook.secret
    client = client_for(world.admin)
    url = f"/notices/webhooks/{hook.pk}/"
    assert (
        client.post(url, {"url": receiver.url, "events": ["overdue", "urgent"]}).status_code == 302
    )
    hook.refresh_from_db()
    assert hook.events == ["overdue", "urgent"] and not hook.is_active

    client.post(url + "secret/")
    hook.refresh_from_db()
    assert hook.secret != old_secret
    assert hook.secret in client.get(url).content.decode()

    hook.is_active = True
    hook.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url + "test/").status_code == 302
    [(headers, raw)] = receiver.requests
    assert headers["X-Yimen-Event"] == "ping"
    assert webhooks.verify(hook.secret, raw, headers["X-Yimen-Signature"])
    assert "ping" in client.get(url).content.decode()

    assert client.post(url + "delete/").status_code == 302
    assert not UnitWebhook.objects.exists()
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"notices.webhook.updated", "notices.webhook.secret_rotated",
            "notices.webhook.deleted"} <= actions  # fmt: skip


def test_a_switched_off_webhook_sends_nothing(cases_world, receiver):
    w = cases_world
    hook = hook_for(w.committee_a, receiver.url)
    [delivery] = services.send_webhooks(w.committee_a, kind="assigned", message="m")
    hook.is_active = False
    hook.save()

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "switched off"
    assert receiver.requests == []


def test_notices_page_links_to_the_e_mail_settings(world, client_for):
    assert "/notices/preferences/" in client_for(world.desk).get("/notices/").content.decode()


def test_the_navigation_shows_webhooks_to_administrators(world, client_for):
    assert "/notices/webhooks/" in client_for(world.admin).get("/").content.decode()
    assert "/notices/webhooks/" not in client_for(world.desk).get("/").content.decode()


def test_many_units_are_told_in_a_fixed_number_of_queries(
    world, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from tests.factories import UnitFactory, UserFactory
    from yimen.notices.models import Notification, WebhookDelivery
    from yimen.org.models import Role

    def units(n):
        made = []
        for _ in range(n):
            unit = UnitFactory(jurisdiction=world.street)
            with_email(UserFactory(role=Role.UNIT, jurisdiction=world.street, unit=unit))
            hook_for(unit, "https://hooks.example/x", events=(NoticeKind.OVERDUE,))
            made.append(unit)
        return [services.UnitNotice(u.pk, NoticeKind.OVERDUE, "逾期 3 件") for u in made]

    few, more = units(2), units(6)
    with django_assert_max_num_queries(9) as captured:
        assert services.notify_units(few) == 2
    with django_assert_max_num_queries(len(captured.captured_queries)):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert services.notify_units(more) == 6
    assert len(callbacks) == 1
    assert Notification.objects.filter(kind=NoticeKind.OVERDUE).count() == 8
    assert WebhookDelivery.objects.filter(event=NoticeKind.OVERDUE).count() == 8
