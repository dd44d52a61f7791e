"""Services of an expert's own calendars: connect, remove, sync (iCal feed or CalDAV) into busy
intervals, the busy time for the slot maths, and consultations written into CalDAV calendars.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import caldav
import icalendar
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, Invalid
from experts.busy_time import OWN_EVENT_PROPERTY, CalendarParseError, busy_intervals
from experts.calendar_fetch import FetchError, check_url, fetch, guard_session, translate
from experts.calendar_models import BusyInterval, CalendarConnection
from experts.models import ExpertProfile
from experts.slots import Busy

__all__ = [
    "MAX_CALENDARS",
    "BookingEntry",
    "busy_for",
    "connect_calendar",
    "decrypt_password",
    "encrypt_password",
    "push_booking",
    "push_booking_after_commit",
    "remove_booking",
    "remove_booking_after_commit",
    "remove_calendar",
    "request_sync",
    "sync_calendar",
    "sync_due_calendars",
    "sync_window",
]

log = logging.getLogger(__name__)

MAX_CALENDARS = 10
CALDAV_TIMEOUT_SECONDS = 15
# Busy time is kept for the expert's booking horizon and a week more (a horizon changed later
# needs no immediate resync), never more than a year and a bit.
_MAX_SYNC_DAYS = 400


# --- credentials --------------------------------------------------------------------------------


def _fernet() -> MultiFernet:
    """Keys from CALENDAR_SECRET_KEY (comma-separated: the first encrypts, all decrypt, so a key
    can be rotated), else one derived from SECRET_KEY with HKDF."""
    secrets = [s.strip() for s in (settings.CALENDAR_SECRET_KEY or "").split(",") if s.strip()]
    if not secrets:
        secrets = [settings.SECRET_KEY]
    keys = []
    for secret in secrets:
        derived = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"consult-calendar-passwords",
            info=b"fernet key for CalendarConnection.password_encrypted",
        ).derive(secret.encode("utf-8"))
        keys.append(Fernet(base64.urlsafe_b64encode(derived)))
    return MultiFernet(keys)


def encrypt_password(password: str) -> str:
    return _fernet().encrypt(password.encode("utf-8")).decode("ascii") if password else ""


def decrypt_password(token: str) -> str:
    """The password; raises FetchError("credentials") when the key changed since it was saved."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise FetchError("credentials", "stored password cannot be decrypted") from exc


# --- connecting -----------------------------------------------------------------------------------


def connect_calendar(
    *, expert_id: int, kind: str, url: str, username: str = "", password: str = ""
) -> CalendarConnection:
    """Connect a calendar (checked, not yet fetched) and sync it after commit."""
    if kind not in CalendarConnection.Kind.values:
        raise Invalid(_("Unbekannte Kalenderart."), fields={"kind": [_("ics oder caldav")]})
    url = url.strip()
    if url.startswith("webcal://"):  # what "subscribe" links of Google and iCloud look like
        url = "https://" + url.removeprefix("webcal://")
    try:
        url = check_url(url)
    except FetchError as exc:
        raise Invalid(exc.message, code="calendar_url", fields={"url": [exc.message]}) from exc
    if kind == CalendarConnection.Kind.CALDAV and not (username and password):
        message = _("Für CalDAV werden Benutzername und (App-)Passwort gebraucht.")
        raise Invalid(message, fields={"username": [message], "password": [message]})
    with transaction.atomic():
        # Counted under the expert's row lock: two tabs cannot both add the tenth.
        ExpertProfile.objects.select_for_update(no_key=True, of=("self",)).filter(
            pk=expert_id
        ).first()
        if CalendarConnection.objects.filter(expert_id=expert_id).count() >= MAX_CALENDARS:
            raise Conflict(
                _("Es können höchstens %(n)d Kalender verbunden werden.") % {"n": MAX_CALENDARS},
                code="too_many_calendars",
            )
        connection = CalendarConnection.objects.create(
            expert_id=expert_id,
            kind=kind,
            url=url,
            username=username.strip() if kind == CalendarConnection.Kind.CALDAV else "",
            password_encrypted=encrypt_password(password)
            if kind == CalendarConnection.Kind.CALDAV
            else "",
        )
        _enqueue_sync(connection.pk)
    return connection


def _enqueue_sync(connection_id: int) -> None:
    from experts import tasks  # the tasks module imports this one

    transaction.on_commit(lambda: tasks.enqueue(tasks.sync_calendar_task, connection_id))


@transaction.atomic
def remove_calendar(*, connection: CalendarConnection) -> None:
    """Disconnect: the calendar and its busy time go (nothing is deleted on the server)."""
    connection.delete()


def request_sync(*, connection: CalendarConnection) -> None:
    """Sync now, in the worker (the page shows the result on its next load)."""
    with transaction.atomic():
        _enqueue_sync(connection.pk)


# --- syncing --------------------------------------------------------------------------------------


def sync_window(expert_horizon_days: int, now: datetime) -> tuple[datetime, datetime]:
    """The span whose busy time is kept: from a day ago to the horizon and a week."""
    days = min(expert_horizon_days + 7, _MAX_SYNC_DAYS)
    return now - timedelta(days=1), now + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What one sync found: busy intervals to store (None: keep the stored ones)."""

    busy: list[Busy] | None
    etag: str = ""
    last_modified: str = ""
    calendar_url: str = ""
    calendar_name: str = ""


def sync_calendar(*, connection_id: int, now: datetime | None = None) -> CalendarConnection | None:
    """Fetch one calendar and replace its busy intervals; a failure is recorded on the
    connection (``last_error``) and keeps the busy intervals of the last success.

    The fetch runs outside any transaction (no lock is held across the network); the result is
    written in one. Returns None when the connection is gone.
    """
    now = now or timezone.now()
    connection = (
        CalendarConnection.objects.select_related("expert").filter(pk=connection_id).first()
    )
    if connection is None:
        return None
    start, end = sync_window(connection.expert.horizon_days, now)
    try:
        if connection.kind == CalendarConnection.Kind.ICS:
            outcome = _read_ics(connection, start=start, end=end)
        else:
            outcome = _read_caldav(connection, start=start, end=end)
    except CalendarParseError as exc:
        return _record_failure(connection_id, FetchError("not_a_calendar", str(exc)), now)
    except FetchError as exc:
        return _record_failure(connection_id, exc, now)
    except Exception as exc:  # a CalDAV server can fail in ways no list foresees
        log.warning("calendar %s: sync failed", connection_id, exc_info=True)
        return _record_failure(connection_id, translate(exc), now)
    return _record_success(connection_id, outcome, now=now, until=end)


def _read_ics(connection: CalendarConnection, *, start: datetime, end: datetime) -> _Outcome:
    # Validators only while the stored busy time still reaches the wanted end: the window moves
    # on every day, and a 304 would leave the new days unread.
    fresh = connection.synced_until is not None and connection.synced_until >= end - timedelta(
        days=1
    )
    fetched = fetch(
        connection.url,
        etag=connection.etag if fresh else "",
        last_modified=connection.last_modified if fresh else "",
    )
    if fetched.not_modified:
        return _Outcome(busy=None, etag=connection.etag, last_modified=connection.last_modified)
    busy = busy_intervals(fetched.body, start=start, end=end, zone=connection.expert.timezone)
    return _Outcome(busy=busy, etag=fetched.etag, last_modified=fetched.last_modified)


def _client(connection: CalendarConnection) -> caldav.DAVClient:
    check_url(connection.url)
    client = _GuardedClient(
        url=connection.url,
        username=connection.username,
        password=decrypt_password(connection.password_encrypted),
        timeout=CALDAV_TIMEOUT_SECONDS,
        enable_rfc6764=False,  # its DNS look-ups and requests would bypass the guard
    )
    guard_session(client.session)
    return client


class _GuardedClient(caldav.DAVClient):
    """caldav's client with the fetcher's guard on its session, also when the client replaces
    the session after a 401 (caldav does so to retry without HTTP multiplexing)."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        guard_session(self.session)
        return super().request(*args, **kwargs)


def _calendar(client: caldav.DAVClient, connection: CalendarConnection) -> caldav.Calendar:
    """The calendar collection of the connection: the remembered one, else the address itself
    when it is a calendar, else the account's first calendar that holds events."""
    if connection.calendar_url:
        return client.calendar(url=connection.calendar_url)
    calendars = client.principal().calendars()
    wanted = connection.url.rstrip("/")
    for calendar in calendars:
        if str(calendar.url).rstrip("/") == wanted:
            return calendar
    for calendar in calendars:
        try:
            components = calendar.get_supported_components()
        except Exception:  # a server without the property: assume events
            components = ["VEVENT"]
        if "VEVENT" in components:
            return calendar
    raise FetchError("not_found", "no calendar with events in this account")


def _read_caldav(connection: CalendarConnection, *, start: datetime, end: datetime) -> _Outcome:
    client = _client(connection)
    try:
        calendar = _calendar(client, connection)
        # A time-range REPORT: the server picks the objects (recurring ones whole, with their
        # overrides); the expansion is done here, the same way as for iCal feeds.
        objects = calendar.search(start=start, end=end, event=True, expand=False)
        data = [obj.data for obj in objects if obj.data]
        busy = busy_intervals(data, start=start, end=end, zone=connection.expert.timezone)
        try:
            name = calendar.get_display_name() or ""
        except Exception:  # a name is nice to show, not needed
            name = ""
        return _Outcome(busy=busy, calendar_url=str(calendar.url), calendar_name=str(name)[:200])
    finally:
        client.close()


def _record_success(
    connection_id: int, outcome: _Outcome, *, now: datetime, until: datetime
) -> CalendarConnection | None:
    with transaction.atomic():
        connection = (
            CalendarConnection.objects.select_for_update(no_key=True, of=("self",))
            .filter(pk=connection_id)
            .first()
        )
        if connection is None:  # removed while we fetched
            return None
        if outcome.busy is not None:
            connection.busy.all().delete()
            BusyInterval.objects.bulk_create(
                [
                    BusyInterval(connection=connection, start=b.start, end=b.end)
                    for b in outcome.busy
                ],
                batch_size=1000,
            )
            connection.synced_until = until
        connection.etag = outcome.etag[:500]
        connection.last_modified = outcome.last_modified[:100]
        if outcome.calendar_url:
            connection.calendar_url = outcome.calendar_url[:2000]
            connection.calendar_name = outcome.calendar_name or connection.calendar_name
        connection.last_synced = now
        connection.last_success = now
        connection.last_error = ""
        connection.last_error_code = ""
        connection.save()
    return connection


def _record_failure(
    connection_id: int, error: FetchError, now: datetime
) -> CalendarConnection | None:
    # The busy intervals of the last success stay: an unreachable diary must not make the
    # expert bookable at times they were busy when it last answered.
    log.info("calendar %s: %s", connection_id, error)
    updated = CalendarConnection.objects.filter(pk=connection_id).update(
        last_synced=now, last_error=error.message[:500], last_error_code=error.code[:40]
    )
    return CalendarConnection.objects.filter(pk=connection_id).first() if updated else None


def sync_due_calendars(*, now: datetime | None = None) -> list[int]:
    """The connections not synced for CALENDAR_SYNC_MINUTES (the beat's sweep enqueues them)."""
    now = now or timezone.now()
    due = now - timedelta(minutes=settings.CALENDAR_SYNC_MINUTES)
    ids = list(
        CalendarConnection.objects.filter(Q(last_synced__isnull=True) | Q(last_synced__lt=due))
        .order_by("last_synced", "id")
        .values_list("id", flat=True)[:500]
    )
    return ids


# --- the slot maths' input ------------------------------------------------------------------------


def busy_for(expert_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, list[Busy]]:
    """Each expert's busy time from their own calendars overlapping ``[start, end)``: one query.

    The intervals block slots; they neither carry buffers of their own nor count toward the
    per-day and per-week booking limits (see ``experts.busy_time.merge``).
    """
    ids = list(expert_ids)
    result: dict[int, list[Busy]] = {}
    if not ids:
        return result
    rows = (
        BusyInterval.objects.filter(connection__expert_id__in=ids, start__lt=end, end__gt=start)
        .order_by()
        .values_list("connection__expert_id", "start", "end")
    )
    for expert_id, a, b in rows:
        result.setdefault(expert_id, []).append(
            Busy(a, b, buffer_before_minutes=0, buffer_after_minutes=0, counts_toward_limits=False)
        )
    return result


# --- consultations written into CalDAV calendars --------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingEntry:
    """A confirmed consultation as the expert's calendar shows it (plain data from bookings)."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    sequence: int = 0
    description: str = ""
    location: str = ""


def _booking_ical(entry: BookingEntry, now: datetime) -> str:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//consult//Beratung//DE")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", entry.start.astimezone(UTC))
    event.add("dtend", entry.end.astimezone(UTC))
    event.add("sequence", entry.sequence)
    event.add("summary", entry.summary)
    if entry.description:
        event.add("description", entry.description)
    if entry.location:
        event.add("location", entry.location)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    # Read back by our own sync and skipped: the booking blocks its time already.
    event.add(OWN_EVENT_PROPERTY, "1")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _writable(expert_id: int) -> Sequence[CalendarConnection]:
    return list(
        CalendarConnection.objects.filter(
            expert_id=expert_id, kind=CalendarConnection.Kind.CALDAV, write_bookings=True
        ).select_related("expert")
    )


def _record_push_failure(connection: CalendarConnection, exc: BaseException) -> None:
    error = translate(exc)
    log.warning("calendar %s: writing a consultation failed: %s", connection.pk, error)
    CalendarConnection.objects.filter(pk=connection.pk).update(
        last_error=error.message[:500], last_error_code=error.code[:40]
    )


def push_booking(
    *,
    expert_id: int,
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    sequence: int = 0,
    description: str = "",
    location: str = "",
    now: datetime | None = None,
) -> list[int]:
    """Write (or overwrite, by UID) a confirmed consultation into each CalDAV calendar of the
    expert that takes bookings. Returns the ids of the calendars that failed (to retry)."""
    entry = BookingEntry(
        uid=uid,
        start=start,
        end=end,
        summary=summary,
        sequence=sequence,
        description=description,
        location=location,
    )
    ical = _booking_ical(entry, now or timezone.now())
    failed: list[int] = []
    for connection in _writable(expert_id):
        try:
            client = _client(connection)
            try:
                url = _resource_url(_calendar(client, connection), uid)
                # A plain PUT at the UID's own resource: caldav's save() would raise our
                # SEQUENCE by one more, and the booking's SEQUENCE is the one that counts.
                response = client.put(url, ical, {"Content-Type": "text/calendar; charset=utf-8"})
                _check_status(response, ok=(200, 201, 204))
            finally:
                client.close()
        except Exception as exc:  # recorded, and the task retries
            _record_push_failure(connection, exc)
            failed.append(connection.pk)
    return failed


def _resource_url(calendar: caldav.Calendar, uid: str) -> str:
    return str(calendar.url.join(quote(uid.replace("/", "%2F"), safe="@") + ".ics"))


def _check_status(response: Any, *, ok: tuple[int, ...]) -> None:
    status = int(response.status)
    if status in ok:
        return
    if status in (401, 403):
        raise FetchError("unauthorized", str(status))
    raise FetchError("caldav", f"HTTP {status}")


def remove_booking(*, expert_id: int, uid: str) -> list[int]:
    """Remove a cancelled consultation (by UID) from the expert's CalDAV calendars; a calendar
    where it is not (any more) counts as done. Returns the ids that failed."""
    failed: list[int] = []
    for connection in _writable(expert_id):
        try:
            client = _client(connection)
            try:
                url = _resource_url(_calendar(client, connection), uid)
                _check_status(client.delete(url), ok=(200, 204, 404, 410))
            finally:
                client.close()
        except Exception as exc:  # recorded, and the task retries
            _record_push_failure(connection, exc)
            failed.append(connection.pk)
    return failed


def push_booking_after_commit(
    *,
    expert_id: int,
    uid: str,
    start: datetime,
    end: datetime,
    summary: str,
    sequence: int = 0,
    description: str = "",
    location: str = "",
) -> None:
    """For the booking lifecycle (confirm, reschedule of a confirmed booking): write the
    consultation into the expert's CalDAV calendars in the worker, once the change commits."""
    from experts import tasks  # the tasks module imports this one

    args = (expert_id, uid, start.isoformat(), end.isoformat(), summary, sequence)
    transaction.on_commit(
        lambda: tasks.enqueue(tasks.push_booking_task, *args, description, location)
    )


def remove_booking_after_commit(*, expert_id: int, uid: str) -> None:
    """For the booking lifecycle (cancel, decline of a confirmed booking): remove it from the
    expert's CalDAV calendars in the worker, once the change commits."""
    from experts import tasks

    transaction.on_commit(lambda: tasks.enqueue(tasks.remove_booking_task, expert_id, uid))
