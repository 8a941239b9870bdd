"""Personas for every test: two communities under one street, and the staff of each.

``world.desk`` works in community A, ``world.desk_b`` in community B; the street-level roles
see both. A test that shows something to one must show nothing of it to the other.
"""

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from yimen.accounts.twofactor import confirmed_device, requires_two_factor
from yimen.org.models import Level, Role, UnitKind

from .factories import JurisdictionFactory, UnitFactory, UserFactory
from .mediation_support import roster

SQUARE_A = {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.1, 30.0], [120.1, 30.1],
                                                [120.0, 30.1], [120.0, 30.0]]]}  # fmt: skip


# Data the migrations load (the default categories, the published holiday years).
DATA_MIGRATIONS = (
    "yimen.cases.migrations.0002_default_categories",
    "yimen.workdays.migrations.0002_seed_published_years",
    "yimen.safety.migrations.0002_default_checklists",
)


@pytest.fixture
def seeded_transactional_db(transactional_db):
    """A transactional test database with the data migrations' rows loaded again.

    A transactional test empties every table when it ends, so the next one loads them first
    (their ``seed`` functions skip what exists). Cheaper and more reliable than
    ``serialized_rollback``, which PostgreSQL runs trip over after a live-server test.
    """
    for name in DATA_MIGRATIONS:
        import_module(name).seed(apps, None)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """Background tasks run at once in the test's own process and database: nothing is
    written to the broker folder under var/ that a real worker would then pick up."""
    from yimen.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def world(db):
    district = JurisdictionFactory(code="D1", name="临江区", level=Level.DISTRICT)
    street = JurisdictionFactory(code="S1", name="青石街道", level=Level.STREET, parent=district)
    community_a = JurisdictionFactory(
        code="CA", name="桂花社区", level=Level.COMMUNITY, parent=street, polygon=SQUARE_A
    )
    community_b = JurisdictionFactory(
        code="CB", name="柳岸社区", level=Level.COMMUNITY, parent=street
    )
    grid_a1 = JurisdictionFactory(code="CA-01", name="桂花一网格", level=Level.GRID,
                                  parent=community_a)  # fmt: skip
    grid_b1 = JurisdictionFactory(code="CB-01", name="柳岸一网格", level=Level.GRID,
                                  parent=community_b)  # fmt: skip
    station_a = UnitFactory(
        name="桂花社区工作站", kind=UnitKind.WORKSTATION, jurisdiction=community_a
    )
    station_b = UnitFactory(
        name="柳岸社区工作站", kind=UnitKind.WORKSTATION, jurisdiction=community_b
    )
    police = UnitFactory(name="青石派出所", kind=UnitKind.POLICE, jurisdiction=street)

    def user(username, role, node, unit=None):
        return UserFactory(username=username, role=role, jurisdiction=node, unit=unit)

    return SimpleNamespace(
        district=district, street=street, community_a=community_a, community_b=community_b,
        grid_a1=grid_a1, grid_b1=grid_b1, station_a=station_a, station_b=station_b, police=police,
        admin=user("admin", Role.ADMIN, district),
        admin_b=user("admin_b", Role.ADMIN, community_b),
        director=user("director", Role.DIRECTOR, street),
        desk=user("desk", Role.DESK, community_a, station_a),
        desk_b=user("desk_b", Role.DESK, community_b, station_b),
        mediator=user("mediator", Role.MEDIATOR, community_a),
        unit=user("police", Role.UNIT, street, police),
        grid=user("grid1", Role.GRID, grid_a1),
        supervisor=user("supervisor", Role.SUPERVISOR, street),
        leader=user("leader", Role.LEADER, street),
    )  # fmt: skip


@pytest.fixture
def english(settings):
    """Pages and messages in English, for tests that assert English text (the default is
    Chinese); use with ``pytestmark = pytest.mark.usefixtures("english")``."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def verify_second_factor(client, user):
    """The session as after a confirmed one-time code (a confirmed device, marked in it)."""
    device = confirmed_device(user) or TOTPDevice.objects.create(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def client_for():
    """``client_for(user)``: a test client logged in as that user."""

    def make(user):
        client = Client()
        client.force_login(user)
        if requires_two_factor(user):
            verify_second_factor(client, user)
        return client

    return make


@pytest.fixture
def cases_world(world):
    """``world`` plus the units cases are routed to, their staff and the default rules."""
    from yimen.cases.routing import seed_default_rules

    w = world
    w.committee_a = UnitFactory(name="桂花社区人民调解委员会", kind=UnitKind.MEDIATION,
                                jurisdiction=w.community_a)  # fmt: skip
    w.committee_b = UnitFactory(name="柳岸社区人民调解委员会", kind=UnitKind.MEDIATION,
                                jurisdiction=w.community_b)  # fmt: skip
    w.hall = UnitFactory(name="青石街道综合服务中心", kind=UnitKind.HALL, jurisdiction=w.street)
    w.judicial = UnitFactory(name="青石司法所", kind=UnitKind.JUDICIAL, jurisdiction=w.street)
    w.petition = UnitFactory(name="青石信访办", kind=UnitKind.PETITION, jurisdiction=w.street)
    w.safety = UnitFactory(name="青石安监办", kind=UnitKind.SAFETY, jurisdiction=w.street)
    w.mediator.unit = w.committee_a
    w.mediator.save()
    w.mediator_b = UserFactory(username="mediator_b", role=Role.MEDIATOR,
                               jurisdiction=w.community_b, unit=w.committee_b)  # fmt: skip
    w.judicial_staff = UserFactory(username="judicial", role=Role.UNIT, jurisdiction=w.street,
                                   unit=w.judicial)  # fmt: skip
    w.petition_staff = UserFactory(username="petition", role=Role.UNIT, jurisdiction=w.street,
                                   unit=w.petition)  # fmt: skip
    w.top_leader = UserFactory(username="top_leader", role=Role.LEADER, jurisdiction=w.district)
    seed_default_rules(w.street)
    return w


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def mw(cases_world, media):
    """``cases_world`` with rosters for both community committees."""
    w = cases_world
    w.chair, w.deputy, w.member_m, w.member_f, w.member_x = roster(
        w.committee_a,
        ("张秀英", "female", "chair", w.mediator),
        ("刘建华", "male", "deputy", None),
        ("陈志强", "male", "member", None),
        ("赵丽", "female", "member", None),
        ("孙明", "male", "member", None),
    )
    w.chair_b, *_ = roster(
        w.committee_b,
        ("吴婷婷", "female", "chair", w.mediator_b),
        ("周涛", "male", "member", None),
        ("郑伟", "male", "member", None),
    )
    return w
