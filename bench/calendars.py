"""Experts' own calendars: free slots over 8 weeks with 500 imported busy events, and syncing
(fetch + parse + store) a 2,000-event iCal feed served on a loopback port.

Creates its own scratch database (PostgreSQL next to DATABASE_URL, else a scratch SQLite file;
the output says which). References: the same slots without calendar busy time, and parsing the
feed alone (no fetch, no store).
Run: .venv/bin/python bench/calendars.py [--smoke] [--json]
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import threading
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import Row, emit, parse_args  # noqa: E402
from bench.scratch import migrate, scratch_database  # noqa: E402

SLOTS_TARGET_MS = 5.0
SYNC_TARGET_S = 2.0
BERLIN = ZoneInfo("Europe/Berlin")
FIRST_DAY = date(2027, 3, 1)  # a Monday; the 8 weeks include the spring DST switch
WEEKS = 8
SLOT_EVENTS = 500
FEED_EVENTS = 2_000
SCRATCH_DB = "consult_bench_calendars"


def feed(events: int, *, first: date, days: int, seed: int) -> bytes:
    """An iCalendar like a busy diary: mostly single meetings on workdays, every tenth a
    weekly series (with an EXDATE), every fiftieth an all-day event, some transparent."""
    rng = random.Random(seed)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN", "X-WR-TIMEZONE:Europe/Berlin"]
    for n in range(events):
        day = first + timedelta(days=rng.randrange(days))
        start = datetime.combine(day, time(7), BERLIN) + timedelta(minutes=15 * rng.randrange(48))
        lines += ["BEGIN:VEVENT", f"UID:bench-{n}@example.org", "DTSTAMP:20270101T000000Z"]
        if n % 50 == 49:
            lines += [f"DTSTART;VALUE=DATE:{day:%Y%m%d}", "SUMMARY:Ganztägig"]
        else:
            end = start + timedelta(minutes=rng.choice((30, 45, 60, 90)))
            lines += [
                f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}",
                f"DTEND;TZID=Europe/Berlin:{end:%Y%m%dT%H%M%S}",
                f"SUMMARY:Termin {n}",
            ]
            if n % 10 == 9:
                skipped = start + timedelta(weeks=2)
                lines += [
                    "RRULE:FREQ=WEEKLY;COUNT=6",
                    f"EXDATE;TZID=Europe/Berlin:{skipped:%Y%m%dT%H%M%S}",
                ]
            if n % 25 == 24:
                lines.append("TRANSP:TRANSPARENT")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm caches
    times = []
    for _ in range(repeat):
        started = clock.perf_counter_ns()
        run()
        times.append(clock.perf_counter_ns() - started)
    return statistics.median(times) / 1e6


def serve(body: bytes) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/feed.ics"


def main() -> int:
    args = parse_args(__doc__)
    repeat = 15 if args.smoke else 200
    sync_repeat = 2 if args.smoke else 7
    url, engine = scratch_database(SCRATCH_DB)
    migrate(url, {"DEMO_DATA_ALLOWED": "false"})
    os.environ["DATABASE_URL"] = url
    os.environ["CALENDAR_ALLOW_PRIVATE_HOSTS"] = "true"  # the feed is served on loopback
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from experts import calendars
    from experts.busy_time import busy_intervals
    from experts.calendar_models import BusyInterval, CalendarConnection
    from experts.models import ExpertProfile
    from experts.slots import SlotPolicy, WeeklyWindow, free_slots

    user = get_user_model().objects.create(username="bench-expert")
    expert = ExpertProfile.objects.create(user=user, display_name="Bench", horizon_days=365)
    now = datetime.combine(FIRST_DAY, time(8), BERLIN) - timedelta(days=2)
    start, end = now, now + timedelta(weeks=WEEKS)

    # 1. Slots with 500 imported events (stored as a sync stores them, read with busy_for).
    slot_feed = feed(SLOT_EVENTS, first=FIRST_DAY, days=WEEKS * 7, seed=3)
    slot_conn = CalendarConnection.objects.create(expert=expert, kind="ics", url="http://x/")
    merged = busy_intervals(slot_feed, start=start, end=end, zone="Europe/Berlin")
    BusyInterval.objects.bulk_create(
        BusyInterval(connection=slot_conn, start=b.start, end=b.end) for b in merged
    )
    policy = SlotPolicy(
        tz="Europe/Berlin",
        durations_minutes=(30, 60, 90),
        buffer_before_minutes=10,
        buffer_after_minutes=10,
        min_notice_minutes=48 * 60,
        horizon_days=90,
    )
    windows = [
        WeeklyWindow(day, a, b)
        for day in range(5)
        for a, b in ((time(9), time(12, 30)), (time(13, 30), time(18)))
    ]
    kwargs: dict[str, object] = {
        "windows": windows,
        "exceptions": [],
        "policy": policy,
        "now": now,
        "start": start,
        "end": end,
        "duration_minutes": 60,
    }
    busy = calendars.busy_for([expert.pk], start, end)[expert.pk]
    with_busy = free_slots(busy=busy, **kwargs)  # type: ignore[arg-type]
    without = free_slots(busy=[], **kwargs)  # type: ignore[arg-type]
    if not (len(with_busy) < len(without)):
        print("calendar busy time blocked no slot", file=sys.stderr)
        return 1
    pure_ms = median_ms(lambda: free_slots(busy=busy, **kwargs), repeat)  # type: ignore[arg-type]
    bare_ms = median_ms(lambda: free_slots(busy=[], **kwargs), repeat)  # type: ignore[arg-type]
    read_ms = median_ms(
        lambda: free_slots(busy=calendars.busy_for([expert.pk], start, end)[expert.pk], **kwargs),  # type: ignore[arg-type]
        repeat,
    )

    # 2. Syncing a 2,000-event feed: fetch over loopback, parse, replace the rows.
    big = feed(FEED_EVENTS, first=FIRST_DAY, days=365, seed=11)
    httpd, feed_url = serve(big)
    try:
        sync_conn = CalendarConnection.objects.create(expert=expert, kind="ics", url=feed_url)
        sync_now = datetime.combine(FIRST_DAY, time(8), BERLIN).astimezone(UTC)
        w_start, w_end = calendars.sync_window(expert.horizon_days, sync_now)
        parse_s = (
            median_ms(
                lambda: busy_intervals(big, start=w_start, end=w_end, zone="Europe/Berlin"),
                sync_repeat,
            )
            / 1000
        )
        sync_s = (
            median_ms(
                lambda: calendars.sync_calendar(connection_id=sync_conn.pk, now=sync_now),
                sync_repeat,
            )
            / 1000
        )
        sync_conn.refresh_from_db()
        if sync_conn.last_error:
            print(f"sync failed: {sync_conn.last_error}", file=sys.stderr)
            return 1
        stored = BusyInterval.objects.filter(connection=sync_conn).count()
    finally:
        httpd.shutdown()
        httpd.server_close()

    rows = [
        Row(
            f"free_slots, {WEEKS} weeks, 10 windows, {SLOT_EVENTS} calendar events (median)",
            pure_ms,
            "ms",
            reference=bare_ms,
            target=SLOTS_TARGET_MS,
        ),
        Row(
            "the same with busy_for() reading them from the database (median)",
            read_ms,
            "ms",
            reference=pure_ms,
            target=SLOTS_TARGET_MS,
        ),
        Row("merged busy intervals in the 8 weeks", float(len(busy)), "intervals"),
        Row(
            f"sync a {FEED_EVENTS:,}-event feed: fetch + parse + store (median)",
            sync_s,
            "s",
            reference=parse_s,
            target=SYNC_TARGET_S,
        ),
        Row("busy intervals stored by that sync", float(stored), "rows"),
        Row("feed size", len(big) / 1024, "KiB"),
    ]
    emit(rows, as_json=args.json)
    if not args.json:
        print(
            f"\ndatabase: {engine} (scratch: {connection.settings_dict['NAME']}); references: "
            f"the same slots without calendar busy time, and parsing the feed alone; "
            f"{repeat} runs of the slots, {sync_repeat} syncs{' (smoke)' if args.smoke else ''}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
