"""Full-text search of the library, in the database: no search server.

PostgreSQL: a `search_vector` (German text with the `german` configuration, English text with
`english`, weighted title A, summary B, body C, source/funder D) kept by a trigger and served by a
GIN index; queries go through `websearch_to_tsquery` in both configurations (so "Jugendbudget"
and "youth budgets" both find their words), ranked with `ts_rank`, highlighted with `ts_headline`.

SQLite (the embedded default): an external-content FTS5 table kept by triggers, ranked with
`bm25()`, highlighted with `snippet()`. User input never reaches FTS5's query syntax: every word
is quoted.

`install(connection)` creates the triggers and indexes, only for the database it runs on; it is
idempotent and runs from migration 0002 and after every `migrate` (Django rebuilds SQLite tables
on some schema changes, which drops their triggers).
"""

# SQL below is built from constant table and column names only; user input is always a parameter.
# ruff: noqa: S608, S611

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, FloatField, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Left
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.fulltext import MARK_END, MARK_START, fts5_query
from core.fulltext import clean_query as clean_query  # the library's search API
from core.fulltext import strip_unsafe as strip_unsafe

TABLE = "library_resource"
FTS_TABLE = "library_resource_fts"
_FTS_COLUMNS = ("title_de", "title_en", "summary_de", "summary_en", "body", "source", "funder")
# bm25 column weights in _FTS_COLUMNS order: titles count most, then summaries.
_BM25 = f"bm25({FTS_TABLE}, 8.0, 8.0, 3.0, 3.0, 1.0, 0.5, 0.5)"


def _pg_query(text: str) -> SearchQuery:
    return SearchQuery(text, config="german", search_type="websearch") | SearchQuery(
        text, config="english", search_type="websearch"
    )


def apply(queryset: QuerySet, text: str, *, vendor: str) -> QuerySet:
    """Restrict to matches of `text` (already cleaned), annotated with `rank` and ordered by it."""
    if vendor == "postgresql":
        query = _pg_query(text)
        return (
            queryset.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-id")
        )
    match = fts5_query(text)
    if not match:
        return queryset.none()
    # bm25 is "smaller is better"; negated so that both backends sort rank descending.
    rank = RawSQL(
        f"SELECT -{_BM25} FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = {TABLE}.id",
        (match,),
        output_field=FloatField(),
    )
    ids = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (match,))
    return queryset.filter(id__in=ids).annotate(rank=rank).order_by("-rank", "-id")


def headlines(
    ids: Iterable[int], text: str, *, vendor: str, connection: BaseDatabaseWrapper
) -> dict[int, SafeString]:
    """HTML-safe excerpts with the hits in <mark>, for one page of results (by id)."""
    ids = list(ids)
    if not ids or not text:
        return {}
    from library.models import Resource

    if vendor == "postgresql":
        document = Concat(
            "summary_de",
            Value(" "),
            "summary_en",
            Value(" "),
            Left("body", 5000),
            output_field=TextField(),
        )
        rows = Resource.objects.filter(pk__in=ids).annotate(
            headline=SearchHeadline(
                document,
                _pg_query(text),
                config="german",
                start_sel=MARK_START,
                stop_sel=MARK_END,
                max_words=30,
                min_words=12,
            )
        )
        raw = dict(rows.values_list("pk", "headline"))
    else:
        match = fts5_query(text)
        if not match:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT rowid, snippet({FTS_TABLE}, -1, %s, %s, '…', 24) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({marks})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [MARK_START, MARK_END, match, *ids])
            raw = dict(cursor.fetchall())
    return {pk: highlight_html(value or "") for pk, value in raw.items()}


def highlight_html(marked: str) -> SafeString:
    """Escape everything, then turn our marks into <mark> (balanced: one close per open)."""
    out: list[str] = []
    open_mark = False
    for part in re.split(f"([{MARK_START}{MARK_END}])", marked):
        if part == MARK_START and not open_mark:
            out.append("<mark>")
            open_mark = True
        elif part == MARK_END and open_mark:
            out.append("</mark>")
            open_mark = False
        elif part not in (MARK_START, MARK_END):
            out.append(escape(part))
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


# --- installation -------------------------------------------------------------------------------

_PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION library_resource_search_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector :=
           setweight(to_tsvector('german', coalesce(NEW.title_de, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.title_en, '')), 'A')
        || setweight(to_tsvector('german', coalesce(NEW.summary_de, '')), 'B')
        || setweight(to_tsvector('english', coalesce(NEW.summary_en, '')), 'B')
        || setweight(to_tsvector('german', coalesce(NEW.body, '')), 'C')
        || setweight(to_tsvector('simple',
             coalesce(NEW.source, '') || ' ' || coalesce(NEW.funder, '')), 'D');
      RETURN NEW;
    END $$
    """,
    "DROP TRIGGER IF EXISTS library_resource_search ON library_resource",
    """
    CREATE TRIGGER library_resource_search
    BEFORE INSERT OR UPDATE OF title_de, title_en, summary_de, summary_en, body, source, funder
    ON library_resource FOR EACH ROW EXECUTE FUNCTION library_resource_search_vector()
    """,
    "CREATE INDEX IF NOT EXISTS library_resource_search_gin "
    "ON library_resource USING gin (search_vector)",
    # Rows written before the trigger existed (or by a restore) get their vector now.
    "UPDATE library_resource SET title_de = title_de WHERE search_vector IS NULL",
]
_PG_UNINSTALL = [
    "DROP INDEX IF EXISTS library_resource_search_gin",
    "DROP TRIGGER IF EXISTS library_resource_search ON library_resource",
    "DROP FUNCTION IF EXISTS library_resource_search_vector()",
]

_cols = ", ".join(_FTS_COLUMNS)
_new = ", ".join(f"new.{c}" for c in _FTS_COLUMNS)
_old = ", ".join(f"old.{c}" for c in _FTS_COLUMNS)
_SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_cols}, "
    f"content='{TABLE}', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')"
)
_SQLITE_TRIGGERS = {
    "library_resource_fts_ai": f"""
        CREATE TRIGGER library_resource_fts_ai AFTER INSERT ON {TABLE} BEGIN
          INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new});
        END""",
    "library_resource_fts_ad": f"""
        CREATE TRIGGER library_resource_fts_ad AFTER DELETE ON {TABLE} BEGIN
          INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) VALUES ('delete', old.id, {_old});
        END""",
    "library_resource_fts_au": f"""
        CREATE TRIGGER library_resource_fts_au AFTER UPDATE OF {_cols} ON {TABLE} BEGIN
          INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_cols}) VALUES ('delete', old.id, {_old});
          INSERT INTO {FTS_TABLE}(rowid, {_cols}) VALUES (new.id, {_new});
        END""",
}


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or repair) the full-text machinery of the database `connection` talks to."""
    if TABLE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in _PG_INSTALL:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            cursor.execute(_SQLITE_TABLE)
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {row[0] for row in cursor.fetchall()}
            missing = [name for name in _SQLITE_TRIGGERS if name not in present]
            for name in missing:
                cursor.execute(_SQLITE_TRIGGERS[name])
            if missing:
                # Writes made while a trigger was missing are not in the index: rebuild it.
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in _PG_UNINSTALL:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
