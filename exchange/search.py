"""German full-text search of the forum, in the database, the way the library does it.

PostgreSQL: trigger-kept `search_vector` columns (`german` configuration: thread titles weighted
A, post bodies) with GIN indexes, queried with `websearch_to_tsquery('german', …)`.
SQLite: FTS5 external-content tables over `search_text`, which holds the words' German Snowball
stems (FTS5 has no German stemmer; its `porter` is English), kept by triggers; queries are
stemmed the same way and every word is quoted (core.fulltext.fts5_query). Query cleaning and
FTS5 quoting are the library's own helpers.
"""

# SQL below is built from constant table and column names only; user input is always a parameter.
# ruff: noqa: S608, S611

from __future__ import annotations

import functools
import re

import snowballstemmer
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.expressions import RawSQL

from core.fulltext import clean_query, fts5_query

__all__ = ["apply", "clean_query", "install", "stems", "uninstall"]

_WORD = re.compile(r"\w+")
THREADS, POSTS = "exchange_thread", "exchange_post"
THREAD_FTS, POST_FTS = "exchange_thread_fts", "exchange_post_fts"


@functools.cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("german")


def stems(text: str) -> str:
    """The German stems of the words of `text`, lower case, space separated."""
    words = [word.lower() for word in _WORD.findall(text)]
    return " ".join(_stemmer().stemWords(words))


def _pg_query(text: str) -> SearchQuery:
    return SearchQuery(text, config="german", search_type="websearch")


def apply(threads: QuerySet, text: str, *, vendor: str) -> QuerySet:
    """Threads whose title or a visible post matches `text` (cleaned), best first (`rank`)."""
    from exchange.models import Post

    if vendor == "postgresql":
        query = _pg_query(text)
        posts = Post.objects.filter(search_vector=query, hidden=False)
        # Title hits first (ts_rank of the title), then the most recently active. Ranking every
        # matching reply too cost seconds for a common word (a ts_rank per matching post).
        return (
            threads.filter(Q(search_vector=query) | Q(pk__in=posts.values("thread_id")))
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-last_post_at", "-id")
        )
    match = fts5_query(stems(text))
    if not match:
        return threads.none()
    title_ids = RawSQL(f"SELECT rowid FROM {THREAD_FTS} WHERE {THREAD_FTS} MATCH %s", (match,))
    post_thread_ids = RawSQL(
        f"SELECT p.thread_id FROM {POSTS} p WHERE p.hidden = 0 AND p.id IN "
        f"(SELECT rowid FROM {POST_FTS} WHERE {POST_FTS} MATCH %s)",
        (match,),
    )
    # A title hit ranks first, then the number of matching posts (FTS5 refuses bm25() inside a
    # correlated subquery, and the embedded run needs no finer ranking).
    rank = RawSQL(
        f"(CASE WHEN {THREADS}.id IN (SELECT rowid FROM {THREAD_FTS} WHERE {THREAD_FTS} MATCH %s)"
        f" THEN 10.0 ELSE 0.0 END) + (SELECT count(*) FROM {POSTS} p "
        f"WHERE p.thread_id = {THREADS}.id AND p.hidden = 0 AND p.id IN "
        f"(SELECT rowid FROM {POST_FTS} WHERE {POST_FTS} MATCH %s))",
        (match, match),
        output_field=FloatField(),
    )
    return (
        threads.filter(Q(pk__in=title_ids) | Q(pk__in=post_thread_ids))
        .annotate(rank=rank)
        .order_by("-rank", "-last_post_at", "-id")
    )


# --- installation -------------------------------------------------------------------------------

_PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION exchange_thread_search_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector := setweight(to_tsvector('german', coalesce(NEW.title, '')), 'A');
      RETURN NEW;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION exchange_post_search_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.search_vector := to_tsvector('german', coalesce(NEW.body, ''));
      RETURN NEW;
    END $$
    """,
    "DROP TRIGGER IF EXISTS exchange_thread_search ON exchange_thread",
    """
    CREATE TRIGGER exchange_thread_search BEFORE INSERT OR UPDATE OF title ON exchange_thread
    FOR EACH ROW EXECUTE FUNCTION exchange_thread_search_vector()
    """,
    "DROP TRIGGER IF EXISTS exchange_post_search ON exchange_post",
    """
    CREATE TRIGGER exchange_post_search BEFORE INSERT OR UPDATE OF body ON exchange_post
    FOR EACH ROW EXECUTE FUNCTION exchange_post_search_vector()
    """,
    "CREATE INDEX IF NOT EXISTS exchange_thread_search_gin "
    "ON exchange_thread USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS exchange_post_search_gin "
    "ON exchange_post USING gin (search_vector)",
    "UPDATE exchange_thread SET title = title WHERE search_vector IS NULL",
    "UPDATE exchange_post SET body = body WHERE search_vector IS NULL",
]
_PG_UNINSTALL = [
    "DROP INDEX IF EXISTS exchange_thread_search_gin",
    "DROP INDEX IF EXISTS exchange_post_search_gin",
    "DROP TRIGGER IF EXISTS exchange_thread_search ON exchange_thread",
    "DROP TRIGGER IF EXISTS exchange_post_search ON exchange_post",
    "DROP FUNCTION IF EXISTS exchange_thread_search_vector()",
    "DROP FUNCTION IF EXISTS exchange_post_search_vector()",
]


def _sqlite_triggers(table: str, fts: str) -> dict[str, str]:
    return {
        f"{fts}_ai": f"""
            CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN
              INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);
            END""",
        f"{fts}_ad": f"""
            CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN
              INSERT INTO {fts}({fts}, rowid, search_text)
              VALUES ('delete', old.id, old.search_text);
            END""",
        f"{fts}_au": f"""
            CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {table} BEGIN
              INSERT INTO {fts}({fts}, rowid, search_text)
              VALUES ('delete', old.id, old.search_text);
              INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);
            END""",
    }


_SQLITE = {
    THREAD_FTS: (THREADS, _sqlite_triggers(THREADS, THREAD_FTS)),
    POST_FTS: (POSTS, _sqlite_triggers(POSTS, POST_FTS)),
}


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or repair) the forum's full-text machinery on the database `connection` reaches."""
    tables = connection.introspection.table_names()
    if THREADS not in tables or POSTS not in tables:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in _PG_INSTALL:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {row[0] for row in cursor.fetchall()}
            for fts, (table, triggers) in _SQLITE.items():
                # The stems are already words: no further stemming, diacritics kept apart.
                cursor.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, "
                    f"content='{table}', content_rowid='id', tokenize='unicode61')"
                )
                missing = [name for name in triggers if name not in present]
                for name in missing:
                    cursor.execute(triggers[name])
                if missing:
                    cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in _PG_UNINSTALL:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for fts, (_table, triggers) in _SQLITE.items():
                for name in triggers:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"DROP TABLE IF EXISTS {fts}")
