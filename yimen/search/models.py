"""The search index: one row per case, kept by ``index`` and read by ``query``.

Its table is the database's own full-text index, created by the migration, not by Django:
on SQLite an FTS5 table (``title`` and ``body`` columns of pre-segmented words, the rowid
being the case's id), on PostgreSQL a table of one ``tsvector`` per case under a GIN index.

FTS5 names the column that stands for a whole row after its table, and its rowid ``rowid``;
the PostgreSQL table names its two columns the same, so one model and one lookup serve
both: ``Case.objects.filter(search_index__document__match=query)``.
"""

from typing import Any

from django.db import NotSupportedError, models

from yimen.cases.models import Case


class DocumentField(models.Field):
    """The indexed words of a case; only ever matched (``__match``) and ranked."""

    def db_type(self, connection: Any) -> str | None:
        return None  # the migration creates the column


@DocumentField.register_lookup
class Match(models.Lookup):
    """``document__match=TextQuery``: the row has every group of the query."""

    lookup_name = "match"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "sqlite":
            return f"{lhs} MATCH %s", [*params, self.rhs.fts5]
        if connection.vendor == "postgresql":
            return f"{lhs} @@ %s::tsquery", [*params, self.rhs.tsquery]
        raise NotSupportedError("full-text search needs SQLite or PostgreSQL")


class CaseIndex(models.Model):
    case = models.OneToOneField(
        Case,
        on_delete=models.CASCADE,  # the row goes with its case
        primary_key=True,
        db_column="rowid",
        db_constraint=False,
        related_name="search_index",
    )
    document = DocumentField(db_column="search_caseindex", editable=False)

    class Meta:
        managed = False
        db_table = "search_caseindex"

    def __str__(self) -> str:
        return str(self.pk)
