"""The dashboard's roll-up (see ``rollups``): cases received, resolved and resolved on time
per local day, and what each case is counted as.

Derived data, rewritten in bulk by ``rollups.rebuild``: the tables have no database
constraints, which would cost a check per row there (and a pending check blocks its
``TRUNCATE``); the cases' own keys are constrained.
"""

from django.db import models

from yimen.cases.models import Case, Category
from yimen.org.models import Jurisdiction


def _node(on_delete: object) -> models.ForeignKey:
    return models.ForeignKey(
        Jurisdiction, on_delete=on_delete, db_constraint=False, db_index=False, related_name="+"
    )


def _category(on_delete: object) -> models.ForeignKey:
    return models.ForeignKey(
        Category, on_delete=on_delete, db_constraint=False, db_index=False, related_name="+"
    )


class DailyCount(models.Model):
    """Cases received, resolved and resolved on time on one local day, in one category, at
    one node of the tree or anywhere below it: a case counts at its place and at every node
    above, so a viewer's figures are the rows of their own node. A row can fall back to
    zero; it is then left in place."""

    # The node first: a viewer's rows for a period are one range of the key.
    pk = models.CompositePrimaryKey("jurisdiction", "day", "category")
    jurisdiction = _node(models.CASCADE)
    day = models.DateField()
    category = _category(models.CASCADE)
    received = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} {self.jurisdiction_id}/{self.category_id}: {self.received} received"


class DailyPlace(models.Model):
    """Cases received on one local day at exactly one place (its grid, or a higher node for
    a case not placed in a grid): the breakdown by place, without the categories."""

    pk = models.CompositePrimaryKey("jurisdiction", "day")
    jurisdiction = _node(models.CASCADE)
    day = models.DateField()
    received = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} {self.jurisdiction_id}: {self.received} received"


class CountedAs(models.Model):
    """What one case adds to the roll-up now: its place and category, the day it counts as
    received and the day it counts as resolved (None: not counted), and whether on time."""

    case = models.OneToOneField(
        Case,
        on_delete=models.CASCADE,
        primary_key=True,
        db_constraint=False,
        related_name="counted",
    )
    jurisdiction = _node(models.DO_NOTHING)
    category = _category(models.DO_NOTHING)
    received_on = models.DateField(null=True)
    resolved_on = models.DateField(null=True)
    on_time = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"case {self.case_id}: received {self.received_on}, resolved {self.resolved_on}"
