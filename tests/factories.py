"""Factories for tests: each builds a valid object with the fewest arguments."""

import factory

from yimen.org.models import Jurisdiction, Level, Role, Unit, UnitKind, User

PASSWORD = "pw-for-tests-123"  # noqa: S105 - every test account's password


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction

    code = factory.Sequence(lambda n: f"J{n:05d}")
    name = factory.Sequence(lambda n: f"辖区{n}")
    level = Level.DISTRICT
    parent = None


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = UnitKind.OFFICE
    jurisdiction = factory.SubFactory(JurisdictionFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.DESK
    jurisdiction = factory.SubFactory(JurisdictionFactory)
    password = factory.django.Password(PASSWORD)
