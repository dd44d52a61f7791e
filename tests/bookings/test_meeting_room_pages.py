"""A consultation's own online room on BigBlueButton (MEETING_PROVIDER=bbb): the link booked
into e-mails and invitations, and the page /raum/<room>/ against a fake BigBlueButton server
(a real HTTP server on 127.0.0.1 that checks checksums like the real one)."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

from bookings import services
from bookings.models import ConsultationBooking
from notifications.models import Notification
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
SITE = "https://beratung.example.org"
SECRET = "fake-bbb-secret"
START = datetime(2027, 6, 7, 8, 0, tzinfo=UTC)  # Monday 10:00 in Berlin
END = START + timedelta(hours=1)
INSIDE = START - timedelta(minutes=5)
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
MONDAY = date(2027, 6, 7)
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


class FakeBigBlueButton:
    """BigBlueButton's API on a free port of 127.0.0.1. Like the real server it checks every
    call's checksum (hash of call name + query + secret) and answers in its XML; ``answer``
    makes it refuse (``"failed"``) or never answer in time (``"hang"``)."""

    def __init__(self, secret: str, algorithm: str = "sha256") -> None:
        self.secret = secret
        self.algorithm = algorithm
        self.answer = "success"
        self.calls: list[tuple[str, dict[str, str], bool]] = []
        self.meetings: dict[str, dict[str, str]] = {}
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = fake.respond(self.path)
                if body is None:
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/xml;charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/bigbluebutton/"

    def signed(self, call: str, query: str) -> tuple[dict[str, str], bool]:
        unsigned, _, signature = query.rpartition("&checksum=")
        expected = hashlib.new(self.algorithm, f"{call}{unsigned}{self.secret}".encode())
        return dict(parse_qsl(unsigned)), signature == expected.hexdigest()

    def respond(self, path: str) -> bytes | None:
        parts = urlsplit(path)
        call = parts.path.removeprefix("/bigbluebutton/api/")
        params, valid = self.signed(call, parts.query)
        self.calls.append((call, params, valid))
        if self.answer == "hang":
            self._release.wait(10)
            return None
        if not valid:
            return self.failed("checksumError", "Checksums do not match")
        if self.answer == "failed":
            return self.failed("internalError", "The meeting could not be created")
        if call != "create":
            return self.failed("unsupportedRequest", "This fake knows only create")
        known = self.meetings.get(params["meetingID"])
        if known is not None and known != params:
            return self.failed("idNotUnique", "A meeting already exists with that meeting ID")
        self.meetings[params["meetingID"]] = params
        warning = (
            "<messageKey>duplicateWarning</messageKey><message>exists</message>" if known else ""
        )
        return (
            "<response><returncode>SUCCESS</returncode>"
            f"<meetingID>{params['meetingID']}</meetingID>"
            f"<attendeePW>{params['attendeePW']}</attendeePW>"
            f"<moderatorPW>{params['moderatorPW']}</moderatorPW>"
            "<createTime>1812345678901</createTime><hasBeenForciblyEnded>false"
            f"</hasBeenForciblyEnded>{warning}</response>"
        ).encode()

    @staticmethod
    def failed(key: str, message: str) -> bytes:
        return (
            "<response><returncode>FAILED</returncode>"
            f"<messageKey>{key}</messageKey><message>{message}</message></response>"
        ).encode()

    def creates(self) -> list[tuple[dict[str, str], bool]]:
        return [(params, valid) for call, params, valid in self.calls if call == "create"]

    def close(self) -> None:
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def bbb(settings) -> Iterator[FakeBigBlueButton]:  # type: ignore[no-untyped-def]
    fake = FakeBigBlueButton(SECRET)
    settings.MEETING_PROVIDER = "bbb"
    settings.BBB_URL = fake.url
    settings.BBB_SECRET = SECRET
    settings.BBB_CHECKSUM = "sha256"
    settings.BBB_TIMEOUT = 2.0
    settings.SITE_URL = SITE
    yield fake
    fake.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def room_booking(status: str = "confirmed", **kwargs) -> ConsultationBooking:  # type: ignore[no-untyped-def]
    room = kwargs.pop("room", "r00m-" + "x" * 20)
    return factories.ConsultationBookingFactory(
        start=START,
        status=status,
        room=room,
        meeting_url=f"{SITE}/raum/{room}/",
        expert=factories.ExpertProfileFactory(display_name="Dr. Ada Beispiel", meeting_url=""),
        **kwargs,
    )


def page(booking: ConsultationBooking, user=None, *, at: datetime = INSIDE, language: str = ""):  # type: ignore[no-untyped-def]
    """GET the room page at ``at`` (logged in then: a session from another time has expired)."""
    with time_machine.travel(at, tick=False):
        return _client(user, language).get(f"/raum/{booking.room}/")


def enter(booking: ConsultationBooking, user=None, *, name: str = "Jo Beispiel", at=INSIDE):  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        return _client(user).post(f"/raum/{booking.room}/", {"name": name})


def _client(user=None, language: str = "") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if user is not None:
        client.force_login(user)
    if language:
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def join_params(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The parameters of the join URL the page redirected to, after checking its checksum."""
    assert response.status_code == 302, response.content.decode()[:500]
    location = response["Location"]
    parts = urlsplit(location)
    assert location.startswith(django_settings.BBB_URL + "api/join?")
    unsigned, _, signature = parts.query.rpartition("&checksum=")
    assert signature == hashlib.sha256(f"join{unsigned}{SECRET}".encode()).hexdigest()
    return dict(parse_qsl(unsigned))


# --- the link a booking carries -----------------------------------------------------------------


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), BERLIN)


@pytest.fixture
def book_online(staff_user, municipality):  # type: ignore[no-untyped-def]
    """Book an online consultation, Monday 10:00 in Berlin, with an expert of that room."""

    def book(meeting_url: str = "") -> ConsultationBooking:
        return services.book(
            actor=staff_user,
            request_id=factories.RequestFactory(plan__municipality=municipality).pk,
            expert_id=factories.ExpertProfileFactory(meeting_url=meeting_url).pk,
            start=at(MONDAY, 10),
            duration_minutes=60,
            now=NOW,
        )

    return book


def test_bbb_booking_carries_the_services_room_link_into_mails_and_invitations(
    bbb, staff_user, book_online
):
    booking = book_online()
    link = f"{SITE}/raum/{booking.room}/"
    assert len(booking.room) >= 24
    assert booking.meeting_url == link

    moved = services.reschedule(
        actor=staff_user, booking_id=booking.pk, start=at(MONDAY, 14), now=NOW
    )
    assert (moved.room, moved.meeting_url) == (booking.room, link)

    rows = Notification.objects.filter(kind__in=["booking_requested", "booking_rescheduled"])
    assert {row.kind for row in rows} == {"booking_requested", "booking_rescheduled"}
    for row in rows:
        assert link in row.body_text
        assert link in row.body_html
        event = icalendar.Calendar.from_ical(row.ics).walk("VEVENT")[0]
        assert str(event["LOCATION"]) == link
        assert str(event["URL"]) == link


def test_an_experts_standing_room_wins_over_bbb(bbb, book_online):
    booking = book_online("https://meet.example/ada")
    assert (booking.room, booking.meeting_url) == ("", "https://meet.example/ada")


def test_jitsi_rooms_stay_as_they_were(settings, book_online):
    settings.MEETING_PROVIDER = "jitsi"
    settings.MEETING_BASE_URL = "https://meet.example/"
    booking = book_online()
    assert booking.room == ""
    assert booking.meeting_url.startswith("https://meet.example/buergerhaushalt-")


# --- entering the room --------------------------------------------------------------------------


def test_page_shows_who_and_when_and_asks_for_the_name(bbb, staff_user, municipality):
    booking = room_booking(request=factories.RequestFactory(plan__municipality=municipality))
    staff_user.first_name, staff_user.last_name = "Kim", "Kommunal"
    staff_user.save()
    response = page(booking, staff_user)
    text = response.content.decode()
    assert response.status_code == 200
    assert "Dr. Ada Beispiel" in text and municipality.name in text
    assert '<time datetime="2027-06-07T10:00:00+02:00">' in text  # Berlin, the zone named
    assert 'value="Kim Kommunal"' in text and 'autocomplete="name"' in text
    assert '<label for="id_name">' in text
    assert bbb.calls == []  # looking costs the video server nothing


def test_the_expert_enters_as_moderator_after_a_checked_create(bbb):
    booking = room_booking()
    response = enter(booking, booking.expert.user, name="Ada B.")

    params = join_params(response)
    assert params["role"] == "MODERATOR"
    assert params["fullName"] == "Ada B."
    assert params["userID"] == str(booking.expert.user_id)
    [(create, valid)] = bbb.creates()
    assert valid, "the fake server recomputed a different create checksum"
    assert params["meetingID"] == create["meetingID"] == f"beratung-{booking.room}"
    assert params["password"] == create["moderatorPW"]
    assert create["name"] == (
        f"Beratung Bürgerhaushalt: {booking.request.plan.municipality.name} mit Dr. Ada Beispiel"
    )
    assert create["logoutURL"] == f"{SITE}/raum/{booking.room}/"


def test_everyone_else_enters_as_attendee_of_the_same_meeting(bbb, staff_user, municipality):
    booking = room_booking(request=factories.RequestFactory(plan__municipality=municipality))
    expert = join_params(enter(booking, booking.expert.user))
    staff = join_params(enter(booking, staff_user, name="Kim"))
    guest = join_params(enter(booking, name="Gast aus dem Rathaus"))

    assert staff["role"] == guest["role"] == "VIEWER"
    assert staff["password"] == guest["password"] != expert["password"]
    assert "userID" not in guest
    assert expert["meetingID"] == staff["meetingID"] == guest["meetingID"]
    # create before every join, identical each time: BigBlueButton's idempotent create.
    creates = bbb.creates()
    assert len(creates) == 3 and all(valid for _, valid in creates)
    assert creates[0][0] == creates[1][0] == creates[2][0]


def test_a_requested_consultations_room_opens_too(bbb):
    booking = room_booking(status="requested")
    assert join_params(enter(booking))["role"] == "VIEWER"


@pytest.mark.parametrize(
    ("moment", "opens"),
    [(START - timedelta(minutes=15, seconds=1), False), (START - timedelta(minutes=15), True)],
)
def test_the_room_opens_a_quarter_hour_before_the_start(bbb, moment, opens):
    booking = room_booking()
    shown = page(booking, at=moment)
    response = enter(booking, at=moment)
    if opens:
        assert "Online-Raum betreten" in shown.content.decode()
        assert response.status_code == 302
    else:
        text = shown.content.decode()
        assert shown.status_code == 200
        assert "Der Online-Raum öffnet am" in text
        assert '<time datetime="2027-06-07T09:45:00+02:00">' in text
        assert 'name="name"' not in text
        assert response.status_code == 409
        assert bbb.calls == []


def test_after_the_end_the_room_is_closed(bbb):
    booking = room_booking()
    assert "Diese Beratung ist vorbei" in page(booking, at=END).content.decode()
    assert enter(booking, at=END).status_code == 409
    assert bbb.calls == []


@pytest.mark.parametrize("status", ["cancelled", "declined"])
def test_a_called_off_consultations_room_never_opens(bbb, status):
    booking = room_booking(status=status)
    shown = page(booking)
    assert shown.status_code == 200
    assert "Diese Beratung ist abgesagt" in shown.content.decode()
    response = enter(booking, booking.expert.user)
    assert response.status_code == 409
    assert "Diese Beratung ist abgesagt" in response.content.decode()
    assert bbb.calls == []


def test_unknown_rooms_and_unannounced_holds_are_404(bbb):
    hold = room_booking(status="held", hold_expires_at=START)
    lapsed = room_booking(status="cancelled", hold_expires_at=START, room="lapsed-" + "y" * 20)
    with time_machine.travel(INSIDE, tick=False):
        for room in ("no-such-room", hold.room, lapsed.room):
            assert Client().get(f"/raum/{room}/").status_code == 404
            assert Client().post(f"/raum/{room}/", {"name": "X"}).status_code == 404
    assert bbb.calls == []


def test_a_name_is_needed_to_enter(bbb):
    booking = room_booking()
    response = enter(booking, name="   ")
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert bbb.calls == []


# --- the video server away or refusing ----------------------------------------------------------


def assert_unavailable_page(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert response["Retry-After"]
    page = response.content.decode()
    assert "Der Videokonferenz-Server ist gerade nicht erreichbar" in page
    assert 'role="alert"' in page and 'name="name"' in page  # try again from the same page


def test_bbb_unreachable_is_a_clear_503(bbb, settings):
    settings.BBB_URL = f"http://127.0.0.1:{free_port()}/bigbluebutton/"
    assert_unavailable_page(enter(room_booking()))


@pytest.mark.parametrize("answer", ["failed", "wrong_secret"])
def test_bbb_refusing_create_is_a_clear_503(bbb, settings, answer):
    if answer == "wrong_secret":
        settings.BBB_SECRET = "not-the-servers-secret"
    else:
        bbb.answer = answer
    assert_unavailable_page(enter(room_booking()))
    assert len(bbb.calls) == 1


def test_bbb_not_answering_in_time_is_a_clear_503(bbb, settings):
    bbb.answer = "hang"
    settings.BBB_TIMEOUT = 0.3
    assert_unavailable_page(enter(room_booking()))


def test_bbb_configuration_gone_is_a_503_not_a_500(bbb, settings):
    settings.MEETING_PROVIDER = "jitsi"
    settings.BBB_URL = ""
    assert_unavailable_page(enter(room_booking()))


# --- language and configuration -----------------------------------------------------------------


def test_the_room_page_speaks_english_through_the_language_switch(bbb):
    booking = room_booking()
    text = page(booking, at=START - timedelta(hours=2), language="en").content.decode()
    assert '<html lang="en">' in text
    assert "The online room opens on" in text
    assert "öffnet" not in text


def _start_up(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BBB_", "MEETING_"))}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env",
    [
        {"MEETING_PROVIDER": "bbb"},
        {"MEETING_PROVIDER": "bbb", "BBB_URL": "https://bbb.example.org/bigbluebutton/"},
        {"MEETING_PROVIDER": "bbb", "BBB_SECRET": "s"},
    ],
)
def test_bbb_without_url_or_secret_refuses_to_start(env):
    result = _start_up(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: MEETING_PROVIDER=bbb needs BBB_URL" in result.stderr


def test_bbb_with_url_and_secret_starts():
    result = _start_up(
        MEETING_PROVIDER="bbb", BBB_URL="https://bbb.example.org/bigbluebutton/", BBB_SECRET="s"
    )
    assert result.returncode == 0, result.stderr
