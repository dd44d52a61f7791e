"""bookings/meeting_rooms.py: BigBlueButton's checksums and URLs, its answers, the room window."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from bookings.meeting_rooms import (
    OPENS_BEFORE,
    RoomState,
    Server,
    checksum,
    create_url,
    join_url,
    new_room_id,
    parse_answer,
    passwords,
    room_state,
    signed_url,
)

# The worked example of BigBlueButton's API documentation ("API security model").
DOC_SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
DOC_QUERY = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
DOC_SHA1 = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
SERVER = Server("https://bbb.example.org/bigbluebutton/", "s3cret", "sha1")


def sha1_hex(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - the scheme's own hash


def query_of(url: str) -> tuple[str, str, dict[str, str]]:
    """(call, query without the checksum, all parameters) of a signed API URL."""
    parts = urlsplit(url)
    unsigned, _, signature = parts.query.rpartition("&checksum=")
    params = dict(parse_qsl(parts.query))
    assert params["checksum"] == signature
    return parts.path.rsplit("/", 1)[1], unsigned, params


def test_checksum_matches_the_documented_example():
    assert checksum("create", DOC_QUERY, DOC_SECRET, "sha1") == DOC_SHA1


def test_signed_url_reproduces_the_documented_example():
    server = Server("https://bbb.example.org/bigbluebutton/", DOC_SECRET, "sha1")
    url = signed_url(
        server,
        "create",
        [
            ("name", "Test Meeting"),
            ("meetingID", "abc123"),
            ("attendeePW", "111222"),
            ("moderatorPW", "333444"),
        ],
    )
    assert url == (
        f"https://bbb.example.org/bigbluebutton/api/create?{DOC_QUERY}&checksum={DOC_SHA1}"
    )


def test_sha256_checksum_is_the_hash_of_call_query_and_secret():
    server = Server("https://bbb.example.org/bigbluebutton", "s3cret", "sha256")
    url = signed_url(server, "isMeetingRunning", [("meetingID", "room-1")])
    expected = hashlib.sha256(b"isMeetingRunningmeetingID=room-1s3cret").hexdigest()
    assert url == (
        "https://bbb.example.org/bigbluebutton/api/isMeetingRunning"
        f"?meetingID=room-1&checksum={expected}"
    )


def test_a_call_without_parameters_is_signed_over_the_empty_query():
    url = signed_url(SERVER, "getMeetings", [])
    assert url.endswith(f"/api/getMeetings?checksum={sha1_hex('getMeetingss3cret')}")


@pytest.mark.parametrize(
    "given",
    [
        "https://bbb.example.org/bigbluebutton/",
        "https://bbb.example.org/bigbluebutton",
        "https://bbb.example.org/bigbluebutton/api/",
        "https://bbb.example.org/bigbluebutton/api",
    ],
)
def test_the_api_base_is_found_however_the_admin_wrote_the_url(given):
    assert Server(given, "s").api == "https://bbb.example.org/bigbluebutton/api/"


@pytest.mark.parametrize(
    ("url", "secret", "algorithm"),
    [
        ("ftp://bbb.example.org/", "s", "sha1"),
        ("https://x/", "", "sha1"),
        ("https://x/", "s", "md5"),
    ],
)
def test_a_server_that_cannot_work_is_refused(url, secret, algorithm):
    with pytest.raises(ValueError):
        Server(url, secret, algorithm)


def test_create_url_names_the_meeting_with_stable_passwords_and_a_valid_checksum():
    url = create_url(
        SERVER,
        meeting_id="beratung-x",
        name="Beratung: Jena mit A. B.",
        logout_url="https://s/raum/x/",
    )
    call, unsigned, params = query_of(url)
    assert call == "create"
    assert params["checksum"] == sha1_hex(f"create{unsigned}s3cret")
    assert params["meetingID"] == "beratung-x"
    assert params["name"] == "Beratung: Jena mit A. B."
    assert params["logoutURL"] == "https://s/raum/x/"
    assert params["record"] == "false"
    # The same meeting gets the same parameters on every create (BigBlueButton's idempotence).
    assert url == create_url(
        SERVER,
        meeting_id="beratung-x",
        name="Beratung: Jena mit A. B.",
        logout_url="https://s/raum/x/",
    )
    attendee, moderator = passwords(SERVER, "beratung-x")
    assert (params["attendeePW"], params["moderatorPW"]) == (attendee, moderator)
    assert attendee != moderator
    assert passwords(SERVER, "beratung-y") != (attendee, moderator)
    assert passwords(Server(SERVER.url, "other"), "beratung-x") != (attendee, moderator)


@pytest.mark.parametrize(("moderator", "role"), [(True, "MODERATOR"), (False, "VIEWER")])
def test_join_url_carries_role_matching_password_and_checksum(moderator, role):
    url = join_url(
        SERVER,
        meeting_id="beratung-x",
        full_name="Jo Müller & Co",
        moderator=moderator,
        user_id="7",
    )
    call, unsigned, params = query_of(url)
    assert call == "join"
    assert params["checksum"] == sha1_hex(f"join{unsigned}s3cret")
    assert params["fullName"] == "Jo Müller & Co"
    assert params["role"] == role
    attendee, moderator_password = passwords(SERVER, "beratung-x")
    assert params["password"] == (moderator_password if moderator else attendee)
    assert params["redirect"] == "true"
    assert params["userID"] == "7"


def test_join_url_of_a_guest_has_no_user_id():
    url = join_url(SERVER, meeting_id="m", full_name="Gast", moderator=False)
    assert "userID" not in query_of(url)[2]


def test_room_ids_are_unguessable_and_fit_a_meeting_id():
    ids = {new_room_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) >= 24 and i.replace("-", "").replace("_", "").isalnum() for i in ids)


# --- answers --------------------------------------------------------------------------------------


def test_success_answer_is_read():
    answer = parse_answer(
        b"<response><returncode>SUCCESS</returncode><meetingID>m</meetingID>"
        b"<messageKey>duplicateWarning</messageKey><message>exists</message></response>"
    )
    assert answer.ok and answer.message_key == "duplicateWarning"
    assert answer.fields == {"meetingID": "m"}


def test_failed_answer_carries_its_message_key():
    answer = parse_answer(
        b"<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey>"
        b"<message>Checksums do not match</message></response>"
    )
    assert not answer.ok
    assert (answer.message_key, answer.message) == ("checksumError", "Checksums do not match")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>502 Bad Gateway</html>",
        b"not xml",
        b"<response><returncode>MAYBE</returncode></response>",
        b'<!DOCTYPE r [<!ENTITY a "aaaa">]><response><returncode>SUCCESS</returncode></response>',
        b"<response>" + b"x" * 70_000 + b"</response>",
    ],
)
def test_anything_but_an_api_answer_is_refused(body):
    with pytest.raises(ValueError):
        parse_answer(body)


# --- when a room is open -------------------------------------------------------------------------

START = datetime(2027, 6, 7, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=1)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (START - OPENS_BEFORE - timedelta(seconds=1), RoomState.NOT_YET),
        (START - OPENS_BEFORE, RoomState.OPEN),
        (START, RoomState.OPEN),
        (END - timedelta(seconds=1), RoomState.OPEN),
        (END, RoomState.OVER),
    ],
)
def test_a_room_is_open_from_a_quarter_hour_before_the_start_to_the_end(now, state):
    assert timedelta(minutes=15) == OPENS_BEFORE
    for status in ("requested", "confirmed"):
        assert room_state(status=status, start=START, end=END, now=now) == state


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("cancelled", RoomState.CALLED_OFF),
        ("declined", RoomState.CALLED_OFF),
        ("completed", RoomState.OVER),
        ("no_show", RoomState.OVER),
    ],
)
def test_a_called_off_or_finished_consultation_never_opens(status, state):
    assert room_state(status=status, start=START, end=END, now=START) == state
