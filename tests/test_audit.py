"""The audit log: the hash chain, its verification, the helpers and the scoped log pages."""

import threading
from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from yimen.audit.display import change_lines, format_value
from yimen.audit.models import AppendOnlyError, ChainHead, Event
from yimen.audit.services import (
    GENESIS,
    diff,
    log_personal_data_view,
    record,
    save_with_audit,
    snapshot,
    verify_chain,
)
from yimen.org.models import Unit
from yimen.workdays.models import SpecialDay


def tamper(event: Event, **values) -> None:
    """Change a stored event behind the model's back, as someone with database access could."""
    Event._base_manager.filter(pk=event.pk).update(**values)


def remove(event: Event) -> None:
    Event._base_manager.filter(pk=event.pk).delete()


@pytest.fixture
def chain(world):
    """Five events: three about community A's workstation, one in B, one system-wide."""
    events = [
        record("org.unit.updated", world.station_a, actor=world.admin,
               changes={"phone": ["", "0571-1234"]}),
        record("org.unit.updated", world.station_a, actor=world.admin,
               changes={"address": ["", "桂花路 1 号"]}),
        record("org.unit.updated", world.station_b, actor=world.admin_b,
               changes={"name": ["柳岸站", "柳岸社区工作站"]}),
        record("workdays.year.loaded", actor=world.admin, object_type="workdays.calendaryear",
               object_id="2027", object_repr="2027", changes={"special_days": 35}),
        record("org.unit.updated", world.station_a, actor=world.desk,
               changes={"is_active": [True, False]}),
    ]  # fmt: skip
    return events


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


# The chain


def test_each_event_links_to_the_one_before(chain):
    assert chain[0].prev_hash == GENESIS
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.hash
    assert ChainHead.objects.get().last_hash == chain[-1].hash
    assert verify_chain() is None


def test_an_event_holds_who_when_what_and_the_change(chain, world):
    event = Event.objects.get(pk=chain[0].pk)
    assert event.actor == world.admin
    assert event.actor_name == "admin"
    assert event.object_type == "org.unit"
    assert event.object_id == str(world.station_a.pk)
    assert event.object_repr == "桂花社区工作站"
    assert event.changes == {"phone": ["", "0571-1234"]}
    assert event.path == world.community_a.path
    assert timezone.is_aware(event.occurred_at)


def test_system_wide_events_have_no_path(chain):
    assert chain[3].path == ""


def test_an_anonymous_actor_is_recorded_as_nobody(db):
    event = record("workdays.year.loaded", actor=AnonymousUser(), object_type="x", object_id="1")
    assert event.actor is None
    assert event.actor_name == ""


def test_verify_audit_reports_an_intact_chain(chain):
    assert verify() == "audit chain intact: 5 events\n"


def test_verify_audit_accepts_an_empty_log(db):
    assert verify() == "audit chain intact: 0 events\n"


@pytest.mark.parametrize(
    "values",
    [
        {"changes": {"phone": ["", "0571-9999"]}},
        {"actor_name": "director"},
        {"occurred_at": datetime(2020, 1, 1, tzinfo=UTC)},
        {"action": "org.unit.created"},
        {"object_repr": "别的单位"},
        {"path": "/0000000001/"},
    ],
    ids=lambda values: next(iter(values)),
)
def test_verify_audit_catches_an_edited_event(chain, values):
    tamper(chain[1], **values)
    with pytest.raises(CommandError, match=rf"event #{chain[1].pk}: content does not match"):
        verify()


def test_a_rewritten_event_with_a_fresh_hash_is_caught_at_the_next_one(chain):
    """Recomputing the edited event's own hash does not help: its successor points at the
    old hash."""
    from yimen.audit.services import _content, event_digest

    event = Event.objects.get(pk=chain[1].pk)
    event.changes = {"address": ["", "别处"]}
    tamper(event, changes=event.changes, hash=event_digest(event.prev_hash, _content(event)))
    with pytest.raises(CommandError, match=rf"event #{chain[2].pk}: previous hash"):
        verify()


def test_verify_audit_catches_a_deleted_event_in_the_middle(chain):
    remove(chain[2])
    with pytest.raises(CommandError, match=rf"event #{chain[3].pk}: previous hash"):
        verify()


def test_verify_audit_catches_a_deleted_first_event(chain):
    remove(chain[0])
    with pytest.raises(CommandError, match=rf"event #{chain[1].pk}"):
        verify()


def test_verify_audit_catches_a_deleted_last_event(chain):
    remove(chain[-1])
    with pytest.raises(CommandError, match=rf"at its end: events after event #{chain[-2].pk}"):
        verify()


def test_verify_audit_catches_a_deleted_chain_head(chain):
    ChainHead.objects.all().delete()
    with pytest.raises(CommandError, match="chain head"):
        verify()


def test_events_appended_after_the_walk_began_are_no_truncation(chain, world):
    """A head ahead of the last event read would be a false alarm on a busy system; the head
    is read first, so a later append only makes the chain longer."""
    head = ChainHead.objects.get().last_hash
    record("org.unit.updated", world.station_a, actor=world.admin, changes={"x": [1, 2]})
    ChainHead.objects.update(last_hash=head)  # as the walk saw it when it started
    assert verify_chain() is None


def test_manage_py_verify_audit_exits_1_naming_the_broken_event(chain, capsys, monkeypatch):
    # manage.py closes every connection on the way out, the test database's included.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    execute_from_command_line(["manage.py", "verify_audit"])  # intact: returns, exit 0
    assert "audit chain intact" in capsys.readouterr().out

    tamper(chain[2], actor_name="someone else")
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "verify_audit"])
    assert exit_info.value.code == 1
    assert f"audit chain broken at event #{chain[2].pk}" in capsys.readouterr().err


# Append-only


def test_a_stored_event_cannot_be_saved_again(chain):
    event = Event.objects.get(pk=chain[0].pk)
    event.actor_name = "director"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_an_event_cannot_be_deleted(chain):
    with pytest.raises(AppendOnlyError):
        Event.objects.get(pk=chain[0].pk).delete()


def test_events_cannot_be_changed_or_deleted_in_bulk(chain):
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=chain[0].pk).update(actor_name="director")
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()
    assert verify_chain() is None


def test_the_database_refuses_a_fork_of_the_chain(chain):
    """Two events after the same one could only come from a writer that skipped the lock."""
    fork = Event(occurred_at=timezone.now(), action="x", prev_hash=chain[2].hash, hash="f" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(world):
    """The chain head's row lock serialises appends from separate connections."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with row locks and concurrent connections (PostgreSQL)")
    unit_pk, errors = world.station_a.pk, []

    def write(n):
        try:
            for i in range(5):
                with transaction.atomic():
                    unit = Unit.objects.select_related("jurisdiction").get(pk=unit_pk)
                    record("org.unit.updated", unit, changes={"n": [n, i]})
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Event.objects.count() == 20
    assert verify_chain() is None


# Helpers


def test_snapshot_gives_json_values_and_foreign_keys_by_id(world):
    unit = world.station_a
    assert snapshot(unit, ["name", "jurisdiction", "is_active"]) == {
        "name": "桂花社区工作站",
        "jurisdiction": world.community_a.pk,
        "is_active": True,
    }
    day = SpecialDay(date=date(2027, 1, 1), is_working=False, name="元旦")
    assert snapshot(day, ["date", "is_working"]) == {"date": "2027-01-01", "is_working": False}


def test_diff_keeps_only_changed_fields_and_reads_missing_as_none():
    before = {"name": "甲", "phone": "1", "note": ""}
    after = {"name": "乙", "phone": "1", "address": "路"}
    assert diff(before, after) == {
        "address": [None, "路"],
        "name": ["甲", "乙"],
        "note": ["", None],
    }
    assert diff(before, before) == {}


def test_save_with_audit_records_creation_then_only_the_changed_fields(world):
    unit = Unit(name="调解委员会", kind="mediation", jurisdiction=world.community_a)
    save_with_audit(unit, ["name", "phone"], actor=world.admin)
    unit.phone = "0571-8888"
    save_with_audit(unit, ["name", "phone"], actor=world.admin)
    created, updated = Event.objects.filter(object_id=str(unit.pk)).order_by("pk")
    assert created.action == "org.unit.created"
    assert created.changes == {"name": [None, "调解委员会"], "phone": [None, ""]}
    assert updated.action == "org.unit.updated"
    assert updated.changes == {"phone": ["", "0571-8888"]}
    assert updated.path == world.community_a.path


def test_viewing_full_personal_data_is_an_event(world):
    event = log_personal_data_view(world.desk, world.station_a, ["phone", "address"])
    event.refresh_from_db()
    assert event.action == "privacy.personal_data.viewed"
    assert event.actor == world.desk
    assert event.changes == {"fields": ["phone", "address"]}
    assert event.path == world.community_a.path
    assert verify_chain() is None


def test_the_fields_viewed_are_not_read_as_a_change(world):
    event = log_personal_data_view(world.desk, world.station_a, ["phone", "address"])
    with translation.override("en"):
        [line] = change_lines(event)
    assert not line.is_change
    assert line.after == "phone, address"


def test_a_field_set_from_nothing_to_empty_is_no_change(world):
    event = record(
        "org.unit.created", world.station_a, changes={"note": [None, ""], "n": [None, 1]}
    )
    assert [line.field for line in change_lines(event)] == ["n"]


def test_change_lines_name_fields_and_format_values(chain):
    with translation.override("en"):
        [line] = change_lines(chain[4])
    assert (line.field, line.label, line.is_change) == ("is_active", "active", True)
    assert (line.before, line.after) == ("yes", "no")
    assert format_value(None) == ""
    assert format_value(["phone", "address"]) == "phone, address"
    assert format_value({"a": 1}) == '{"a": 1}'


def test_change_lines_show_choices_by_their_labels(world):
    event = record("org.unit.updated", world.station_a, changes={"kind": ["office", "police"]})
    with translation.override("en"):
        [line] = change_lines(event)
    assert (line.label, line.before, line.after) == (
        "kind",
        "Office of the center",
        "Police station",
    )


# The log pages


def test_the_log_requires_login(client, db):
    response = client.get(reverse("audit:events"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["desk", "director", "mediator", "unit", "grid", "leader"])
def test_the_log_is_only_for_administrators_and_supervisors(chain, world, client_for, persona):
    client = client_for(getattr(world, persona))
    assert client.get(reverse("audit:events")).status_code == 403
    assert client.get(reverse("audit:event", args=[chain[0].pk])).status_code == 403


def test_the_log_lists_changes_newest_first_in_local_time(world, client_for, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 3, 1, 0, 30, tzinfo=UTC))
    record("org.unit.updated", world.station_a, actor=world.admin,
           changes={"phone": ["0571-1111", "0571-2222"]})  # fmt: skip
    record("org.unit.updated", world.station_a, actor=world.admin, changes={"address": ["", "新"]})
    response = client_for(world.admin).get(reverse("audit:events"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2026-03-01 08:30:00" in page  # Asia/Shanghai
    assert "<del>0571-1111</del> → <ins>0571-2222</ins>" in page
    assert page.index("新") < page.index("0571-2222")
    assert "桂花社区工作站" in page


def test_the_log_is_scoped_to_the_jurisdiction(chain, world, client_for):
    page = client_for(world.admin_b).get(reverse("audit:events")).content.decode()
    assert "柳岸社区工作站" in page
    assert "桂花社区工作站" not in page
    assert "workdays.year.loaded" not in page


def test_a_supervisor_sees_the_street_but_not_system_wide_events(chain, world, client_for):
    events = client_for(world.supervisor).get(reverse("audit:events")).context["page"]
    assert [e.pk for e in events] == [chain[4].pk, chain[2].pk, chain[1].pk, chain[0].pk]


def test_system_wide_events_are_for_the_root_of_the_tree(chain, world):
    assert Event.objects.for_user(world.admin).count() == 5
    assert chain[3] not in Event.objects.for_user(world.supervisor)
    assert chain[3] not in Event.objects.for_user(world.admin_b)


def test_another_communitys_event_is_not_found(chain, world, client_for):
    client = client_for(world.admin_b)
    assert client.get(reverse("audit:event", args=[chain[0].pk])).status_code == 404
    assert client.get(reverse("audit:event", args=[chain[3].pk])).status_code == 404
    assert client.get(reverse("audit:event", args=[chain[2].pk])).status_code == 200


def test_the_detail_shows_the_hashes(chain, world, client_for):
    response = client_for(world.supervisor).get(reverse("audit:event", args=[chain[1].pk]))
    page = response.content.decode()
    assert chain[1].hash in page
    assert chain[1].prev_hash == chain[0].hash
    assert chain[0].hash in page
    assert 'class="badge ok"' in page
    assert world.community_a.name in page


def test_the_detail_flags_an_altered_event(chain, world, client_for):
    tamper(chain[1], object_repr="别的单位")
    page = client_for(world.supervisor).get(reverse("audit:event", args=[chain[1].pk]))
    assert 'class="badge off"' in page.content.decode()


def test_the_log_filters_by_action_prefix_and_object(chain, world, client_for):
    client = client_for(world.admin)
    url = reverse("audit:events")
    by_action = client.get(url, {"action": "workdays."}).context["page"]
    assert [e.pk for e in by_action] == [chain[3].pk]
    by_type = client.get(url, {"object_type": "org.unit"}).context["page"]
    assert len(by_type) == 4
    history = client.get(url, {"object_type": "org.unit", "object_id": world.station_b.pk})
    assert [e.pk for e in history.context["page"]] == [chain[2].pk]


def test_an_unknown_filter_shows_nothing_and_says_why(chain, world, client_for):
    response = client_for(world.admin).get(reverse("audit:events"), {"object_type": "no.such"})
    assert response.status_code == 200
    assert len(response.context["page"]) == 0
    assert response.context["form"].errors


def test_the_log_pages_by_fifty(world, client_for):
    for n in range(51):
        record("org.unit.updated", world.station_a, actor=world.admin, changes={"n": [n, n + 1]})
    client = client_for(world.admin)
    first = client.get(reverse("audit:events"), {"action": "org."})
    assert len(first.context["page"]) == 50
    assert "page=2" in first.content.decode()
    assert "action=org." in first.content.decode()  # the filter survives paging
    second = client.get(reverse("audit:events"), {"action": "org.", "page": 2})
    assert [e.changes for e in second.context["page"]] == [{"n": [0, 1]}]


def test_the_log_page_costs_the_same_queries_for_fifty_events(
    world, client_for, django_assert_max_num_queries
):
    for n in range(50):
        record("org.unit.updated", world.station_a, actor=world.admin, changes={"n": [n, n + 1]})
    client = client_for(world.admin)
    # One of them reads the administrator's second-factor device from the session.
    with django_assert_max_num_queries(7):
        assert client.get(reverse("audit:events")).status_code == 200
