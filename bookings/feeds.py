"""Private calendar feeds: ``GET /feeds/{token}.ics`` for an expert or a municipality, with
their consultations and their events (an expert's: those they organise; a municipality's: those
it has a confirmed participant in).

The token is the only credential, so an unknown token is a plain 404 and takes the same path
as a known one (both owner lookups always run, by a unique index). ETag over the body gives
calendar clients a cheap 304 on their hourly refresh.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from bookings import selectors
from bookings.models import ConsultationBooking
from events import selectors as event_selectors
from events.models import Event, EventSession
from events.notifications import event_location
from experts.models import ExpertProfile
from notifications.ics import FeedEntry, build_feed, media_type, session_uid

Status = ConsultationBooking.Status
_TOKEN_MAX = 64


def _entry(booking: ConsultationBooking) -> FeedEntry:
    municipality = booking.request.plan.municipality
    where = "Online" if booking.format == booking.Format.ONLINE else "Vor Ort"
    status = {
        Status.CONFIRMED: "CONFIRMED",
        Status.COMPLETED: "CONFIRMED",
        Status.REQUESTED: "TENTATIVE",
    }.get(booking.status, "CANCELLED")
    return FeedEntry(
        uid=booking.uid,
        sequence=booking.sequence,
        summary=f"Beratung: {municipality.name} / {booking.expert.display_name}",
        start=booking.start,
        end=booking.end,
        # The row's last change, not the clock: an unchanged feed is byte-identical (ETag).
        dtstamp=booking.updated_at,
        status=status,  # type: ignore[arg-type]
        description=f"{where} ({booking.get_status_display()})",
        location=booking.meeting_url or booking.location,
        url=booking.meeting_url,
    )


def _event_entries(event: Event, sessions: list[EventSession]) -> list[FeedEntry]:
    """One entry per session, with the UIDs and SEQUENCE of the e-mailed invitations."""
    with translation.override("de"):
        summary = f"{event.get_kind_display()}: {event.title_de}"
    url = event.online_url if event.online_url.lower().startswith(("http://", "https://")) else ""
    return [
        FeedEntry(
            uid=session_uid(event.uid, number),
            sequence=event.sequence,
            summary=summary if len(sessions) == 1 else f"{summary} ({number}/{len(sessions)})",
            start=session.start,
            end=session.end,
            dtstamp=event.updated_at,
            description=event.description_de,
            location=event_location(event),
            url=url,
        )
        for number, session in enumerate(sessions, 1)
    ]


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    owner = selectors.feed_owner(token[:_TOKEN_MAX])
    if owner is None:
        return HttpResponseNotFound("not found", content_type="text/plain")
    now = timezone.now()
    bookings = selectors.feed_bookings(owner, now=now)
    events = event_selectors.feed_events(
        owner, since=now - timedelta(days=selectors.FEED_PAST_DAYS)
    )
    name = (
        f"Beratungen und Veranstaltungen – {owner.display_name}"
        if isinstance(owner, ExpertProfile)
        else f"Beratungen und Veranstaltungen – {owner.name}"
    )
    entries = [_entry(b) for b in bookings]
    for event, sessions in events:
        entries.extend(_event_entries(event, sessions))
    body = build_feed(sorted(entries, key=lambda e: (e.start, e.uid)), name)
    etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300"}
    if etag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(body, content_type=media_type(body), headers=headers)
