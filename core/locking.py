"""Row locks on scarce capacity (an expert's time, an event's seats): taken late, inside the
caller's transaction, waited on for a bounded time; a lock not had in time is `Busy` (409)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TypeVar

from django.db import OperationalError, models, transaction
from django.utils.translation import gettext as _

from core.errors import Busy

M = TypeVar("M", bound=models.Model)

# How long a transaction waits for a row lock before the client is told to retry. Holders keep
# these locks for milliseconds; a wait of seconds means a pile-up the client should back off from.
LOCK_TIMEOUT = timedelta(seconds=3)
RETRY_AFTER_SECONDS = 1
_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout


def busy() -> Busy:
    """The one "busy, try again" error, in the request's language."""
    return Busy(
        _("Gerade belegt, bitte gleich noch einmal versuchen."), retry_after=RETRY_AFTER_SECONDS
    )


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether `exc` is a lock not had in time: PostgreSQL's lock_timeout, or SQLite's busy
    timeout (its IMMEDIATE transactions wait for the one writer at BEGIN)."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return state == _LOCK_NOT_AVAILABLE or "database is locked" in str(exc)


@contextmanager
def busy_on_lock_timeout() -> Iterator[None]:
    """Turn a lock timeout inside the block into `busy()`; other database errors pass."""
    try:
        yield
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise busy() from exc
        raise


def require_transaction(using: str | None = None) -> None:
    """Refuse to go on outside a transaction: a lock taken in autocommit ends at once."""
    if not transaction.get_connection(using).in_atomic_block:
        raise RuntimeError("a row lock needs the caller's transaction (transaction.atomic)")


def lock(queryset: models.QuerySet[M], *, timeout: timedelta | None = None) -> M | None:
    """The one row `queryset` selects (filter it by key), locked until the caller's transaction
    ends; None if there is none.

    FOR NO KEY UPDATE of its own row only (`of=("self",)`, whatever is joined): writers of the
    row queue, rows that point to it by foreign key can still be inserted. On PostgreSQL the wait
    is bounded by `timeout` (LOCK_TIMEOUT) for the rest of the transaction; SQLite has no row
    locks, its IMMEDIATE transactions serialise the writers already.
    """
    using = queryset.db
    require_transaction(using)
    connection = transaction.get_connection(using)
    with busy_on_lock_timeout():
        if connection.vendor == "postgresql":
            milliseconds = int((timeout or LOCK_TIMEOUT) / timedelta(milliseconds=1))
            with connection.cursor() as cursor:
                # set_config(…, true) is SET LOCAL that takes a bound parameter.
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{milliseconds}ms"])
        # No ORDER BY (first() would add one): one row is asked for, and it is cheaper to build.
        rows = list(queryset.select_for_update(no_key=True, of=("self",)).order_by()[:1])
    return rows[0] if rows else None
