"""Private calendar feeds: ``GET /feeds/{token}.ics`` for an expert or a municipality.

The token is the only credential, so an unknown token is a plain 404 and takes the same path
as a known one (both owner lookups always run, by a unique index). ETag over the body gives
calendar clients a cheap 304 on their hourly refresh.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.http import require_GET

from bookings import selectors
from bookings.models import ConsultationBooking
from experts.models import ExpertProfile
from notifications.ics import FeedEntry, build_feed, media_type

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


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    owner = selectors.feed_owner(token[:_TOKEN_MAX])
    if owner is None:
        return HttpResponseNotFound("not found", content_type="text/plain")
    bookings = selectors.feed_bookings(owner, now=timezone.now())
    name = (
        f"Beratungen – {owner.display_name}"
        if isinstance(owner, ExpertProfile)
        else f"Beratungen – {owner.name}"
    )
    body = build_feed([_entry(b) for b in bookings], name)
    etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300"}
    if etag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(body, content_type=media_type(body), headers=headers)
