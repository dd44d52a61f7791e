"""Entering a consultation's own online room (MEETING_PROVIDER=bbb): the meeting is created on
the BigBlueButton server when someone enters, and each person goes on with a signed join link.

The link the invitations carry is the service's (/raum/<room>/), never BigBlueButton's: it
stays the same across reschedules, and only this service, holding the shared secret, can turn
it into a join.
"""

from __future__ import annotations

import http.client
import logging
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bookings import selectors
from bookings.meeting_rooms import (
    MAX_RESPONSE_BYTES,
    RoomState,
    Server,
    create_url,
    join_url,
    parse_answer,
)
from bookings.models import ConsultationBooking
from core.errors import Conflict, Invalid, NotFound, Unavailable

log = logging.getLogger(__name__)

MAX_DISPLAY_NAME = 100
_CLOSED: dict[RoomState, tuple[Any, str]] = {
    RoomState.NOT_YET: (gettext_lazy("Der Online-Raum ist noch nicht geöffnet."), "room_not_open"),
    RoomState.OVER: (gettext_lazy("Diese Beratung ist vorbei."), "room_over"),
    RoomState.CALLED_OFF: (gettext_lazy("Diese Beratung ist abgesagt."), "room_called_off"),
}


def room_url(room: str) -> str:
    """The absolute link of a room: what e-mails, invitations and calendar feeds carry."""
    return settings.SITE_URL + reverse("meeting-room", args=[room])


def meeting_id(room: str) -> str:
    return f"beratung-{room}"


def meeting_name(booking: ConsultationBooking) -> str:
    """The meeting's title, in the language the consultation was asked for: the same on every
    create, as a repeated create must be."""
    with translation.override(booking.request.language or settings.LANGUAGE_CODE):
        return _("Beratung Bürgerhaushalt: %(municipality)s mit %(expert)s") % {
            "municipality": booking.request.plan.municipality.name,
            "expert": booking.expert.display_name,
        }


def _unavailable() -> Unavailable:
    return Unavailable(
        _(
            "Der Videokonferenz-Server ist gerade nicht erreichbar. Bitte versuchen Sie es in "
            "einer Minute noch einmal."
        ),
        code="meeting_server_unavailable",
    )


def _server() -> Server:
    try:
        return Server(settings.BBB_URL, settings.BBB_SECRET, settings.BBB_CHECKSUM)
    except ValueError as error:
        # Rooms made while MEETING_PROVIDER was bbb outlive a switch back without BBB_URL.
        log.error("BigBlueButton is not configured (BBB_URL, BBB_SECRET): %s", error)
        raise _unavailable() from error


def _create(server: Server, url: str) -> None:
    """Call ``create`` server to server within BBB_TIMEOUT; anything but SUCCESS is a 503."""
    host = urlsplit(url).netloc
    try:
        # The scheme is http(s), checked by Server and at start-up (settings).
        with urllib.request.urlopen(url, timeout=settings.BBB_TIMEOUT) as response:  # noqa: S310
            answer = parse_answer(response.read(MAX_RESPONSE_BYTES + 1))
    except (OSError, http.client.HTTPException, ValueError) as error:
        log.warning("BigBlueButton at %s unreachable or unreadable: %s", host, error)
        raise _unavailable() from error
    if not answer.ok:
        log.error(
            "BigBlueButton at %s refused create: %s %s", host, answer.message_key, answer.message
        )
        raise _unavailable()


def join_room(*, room: str, actor: Any, display_name: str, now: datetime | None = None) -> str:
    """Open the room of a requested or confirmed consultation (from OPENS_BEFORE its start to
    its end) and return ``actor``'s signed join URL: the booking's expert moderates, everyone
    else with the link attends."""
    now = now or timezone.now()
    place = selectors.meeting_room(room=room, viewer=actor, now=now)
    if place is None:
        raise NotFound(_("Diesen Online-Raum gibt es nicht."))
    if place.state != RoomState.OPEN:
        message, code = _CLOSED[place.state]
        raise Conflict(message, code=code, extra={"state": str(place.state)})
    name = " ".join(display_name.split())
    if not name or len(name) > MAX_DISPLAY_NAME:
        raise Invalid(
            _("Bitte geben Sie einen Namen an (höchstens %(n)d Zeichen).")
            % {"n": MAX_DISPLAY_NAME},
            fields={"name": [_("Name fehlt oder ist zu lang.")]},
        )
    server = _server()
    meeting = meeting_id(room)
    _create(
        server,
        create_url(
            server, meeting_id=meeting, name=meeting_name(place.booking), logout_url=room_url(room)
        ),
    )
    return join_url(
        server,
        meeting_id=meeting,
        full_name=name,
        moderator=place.moderator,
        user_id=str(actor.pk) if getattr(actor, "is_authenticated", False) else "",
    )
