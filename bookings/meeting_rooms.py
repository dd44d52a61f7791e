"""The service's own online rooms on a BigBlueButton server: when a consultation's room is open,
and the signed API calls (create, join) with the answers they get.

Pure: no ORM, no I/O. bookings/room_services.py does the HTTP.

BigBlueButton trusts a call when its ``checksum`` is the hex digest of call name + query string
(exactly as sent, without the checksum) + the server's shared secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from defusedxml.ElementTree import ParseError, fromstring

# A room opens this long before the consultation starts (to test microphone and camera).
OPENS_BEFORE = timedelta(minutes=15)
# Booking statuses (ConsultationBooking.Status values) whose room opens, and those called off.
OPENABLE = frozenset({"requested", "confirmed"})
CALLED_OFF = frozenset({"cancelled", "declined"})
ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
# An answer of BigBlueButton's API is a few hundred bytes; anything far bigger is not one.
MAX_RESPONSE_BYTES = 65_536


def new_room_id() -> str:
    """Unguessable (144 bits): the link is the only thing keeping strangers out of the room.
    Letters, digits, "-" and "_" only, which BigBlueButton accepts in a meetingID."""
    return secrets.token_urlsafe(18)


# --- when a room is open -------------------------------------------------------------------------


class RoomState(StrEnum):
    OPEN = "open"
    NOT_YET = "not_yet"
    OVER = "over"
    CALLED_OFF = "called_off"


def room_state(*, status: str, start: datetime, end: datetime, now: datetime) -> RoomState:
    """Open from ``OPENS_BEFORE`` the start until the end, for a requested or confirmed
    consultation; a cancelled or declined one never opens, a completed one is over."""
    if status in CALLED_OFF:
        return RoomState.CALLED_OFF
    if status not in OPENABLE or now >= end:
        return RoomState.OVER
    if now < start - OPENS_BEFORE:
        return RoomState.NOT_YET
    return RoomState.OPEN


def opens_at(start: datetime) -> datetime:
    return start - OPENS_BEFORE


# --- the API -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Server:
    """A BigBlueButton server: ``url`` as its admin gives it (``https://host/bigbluebutton/``;
    a trailing ``api/`` is fine too), its shared secret and the checksum's hash."""

    url: str
    secret: str
    algorithm: str = "sha256"

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("the BigBlueButton URL must start with https:// or http://")
        if not self.secret:
            raise ValueError("the BigBlueButton shared secret is empty")
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"checksum algorithm must be one of {ALGORITHMS}")

    @property
    def api(self) -> str:
        base = self.url.rstrip("/")
        base = base.removesuffix("/api")
        return f"{base}/api/"


def checksum(call: str, query: str, secret: str, algorithm: str = "sha256") -> str:
    """The hex digest BigBlueButton expects: hash(call name + query string + shared secret)."""
    return hashlib.new(algorithm, f"{call}{query}{secret}".encode()).hexdigest()


def signed_url(server: Server, call: str, params: list[tuple[str, str]]) -> str:
    """``call``'s URL with ``params`` (order kept) and the checksum over exactly that query."""
    query = urlencode(params)
    signature = checksum(call, query, server.secret, server.algorithm)
    joined = f"{query}&checksum={signature}" if query else f"checksum={signature}"
    return f"{server.api}{call}?{joined}"


def passwords(server: Server, meeting_id: str) -> tuple[str, str]:
    """(attendee, moderator) passwords of a meeting, derived from the secret: every ``create``
    of one meeting carries the same ones (BigBlueButton answers a repeated create with identical
    parameters with SUCCESS), and servers before 2.4, which know no ``role`` on join, still tell
    moderators from attendees by them."""

    def derive(role: str) -> str:
        digest = hmac.new(server.secret.encode(), f"{role}:{meeting_id}".encode(), "sha256")
        return digest.hexdigest()[:24]

    return derive("attendee"), derive("moderator")


def create_url(server: Server, *, meeting_id: str, name: str, logout_url: str) -> str:
    """``create``: idempotent for one meetingID while the meeting runs, so it is called before
    every join instead of asking first whether the meeting exists."""
    attendee, moderator = passwords(server, meeting_id)
    return signed_url(
        server,
        "create",
        [
            ("name", name),
            ("meetingID", meeting_id),
            ("attendeePW", attendee),
            ("moderatorPW", moderator),
            ("logoutURL", logout_url),
            ("record", "false"),
        ],
    )


def join_url(
    server: Server,
    *,
    meeting_id: str,
    full_name: str,
    moderator: bool,
    user_id: str = "",
) -> str:
    """The browser's ``join`` link: ``role`` decides (BigBlueButton 2.4+), the matching
    password does on older servers."""
    attendee, moderator_password = passwords(server, meeting_id)
    params = [
        ("fullName", full_name),
        ("meetingID", meeting_id),
        ("role", "MODERATOR" if moderator else "VIEWER"),
        ("password", moderator_password if moderator else attendee),
        ("redirect", "true"),
    ]
    if user_id:
        params.append(("userID", user_id))
    return signed_url(server, "join", params)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the API said: ``ok`` for returncode SUCCESS; ``message_key`` names a refusal
    (``checksumError``, ``idNotUnique``, …); ``fields`` holds the other top-level elements."""

    ok: bool
    message_key: str = ""
    message: str = ""
    fields: dict[str, str] = field(default_factory=dict)


def parse_answer(body: bytes) -> Answer:
    """Read the XML answer of an API call; ValueError if it is none (defusedxml refuses
    entities, so a hostile answer cannot expand into gigabytes)."""
    if len(body) > MAX_RESPONSE_BYTES:
        raise ValueError("answer too large for a BigBlueButton API answer")
    try:
        root = fromstring(body)
    except ParseError as error:
        raise ValueError(f"not XML: {error}") from error
    if root.tag != "response":
        raise ValueError(f"not a BigBlueButton answer: <{root.tag}>")
    fields = {child.tag: (child.text or "").strip() for child in root}
    returncode = fields.pop("returncode", "")
    if returncode not in ("SUCCESS", "FAILED"):
        raise ValueError(f"unknown returncode {returncode!r}")
    return Answer(
        ok=returncode == "SUCCESS",
        message_key=fields.pop("messageKey", ""),
        message=fields.pop("message", ""),
        fields=fields,
    )
