"""Findings of the schema fuzz that are reported to the endpoint's owner and not fixed yet.

Each has a predicate the fuzz (test_api_schema_fuzz.py) uses to tolerate exactly that failure,
and a deterministic xfail(strict=True) test in test_known_findings.py that starts passing (and so
fails the suite) when the fix lands: then delete both.
"""

from __future__ import annotations

from typing import Any

BOOKING_PK_500 = (
    "bookings/api.py: the actions call int(pk) on the raw URL segment, so a non-numeric id "
    "(POST /api/v1/bookings/null/decline/ with {}) is a 500, not a 404; the viewset needs "
    "lookup_value_regex = r'\\d+' like EventViewSet"
)
EVENT_ID_OVERFLOW = (
    "bookings/event_services.py register(): an event id beyond 64 bits "
    "(POST /api/v1/events/757080410518250307276194/registrations/) raises OverflowError "
    "(SQLite) instead of a 404"
)
BOOKING_BLANK_URL = (
    "bookings/api.py: Booking.meeting_url is documented as format uri but is '' for on-site "
    "and unset bookings (GET /api/v1/bookings/): the schema must allow a blank value"
)
EVENT_BLANK_URL = (
    "bookings/event_api.py: Event.online_url is documented as format uri but is '' for "
    "events without a link (GET/PATCH /api/v1/events/{id}/ as coordinator)"
)
EVENT_ONLINE_URL_REQUIRED = (
    "bookings/event_api.py: Event.online_url is a required property in the schema but is "
    "left out for everybody but the organisers (GET /api/v1/events/)"
)
EXPERT_BIO = (
    "experts/api.py: the schema documents `bio` as the Bio object {de, en} but the API "
    "returns a string there (the object is `bio_by_language`) on GET /api/v1/experts/"
)


def known_server_error(case: Any) -> str | None:
    path, raw_id = case.operation.path, str((case.path_parameters or {}).get("id", ""))
    if path.startswith("/api/v1/bookings/{id}/") and not raw_id.isdigit():
        return BOOKING_PK_500
    overflow = raw_id.isdigit() and int(raw_id) > 2**63 - 1
    if path == "/api/v1/events/{id}/registrations/" and overflow:
        return EVENT_ID_OVERFLOW
    return None


def known_schema_violation(case: Any, failure: Any) -> str | None:
    path, text = case.operation.path, str(failure)
    if path.startswith("/api/v1/bookings/") and "Booking/properties/meeting_url" in text:
        return BOOKING_BLANK_URL
    if path.startswith("/api/v1/events/"):
        if "Event/properties/online_url" in text and '"" is not a "uri"' in text:
            return EVENT_BLANK_URL
        if '"online_url" is a required property' in text:
            return EVENT_ONLINE_URL_REQUIRED
    if path.startswith("/api/v1/experts/") and "schemas/Bio" in text:
        return EXPERT_BIO
    return None
