"""A consultation's own online room on BigBlueButton (MEETING_PROVIDER=bbb): the link booked
into e-mails and invitations, and the page /raum/<room>/ against a fake BigBlueButton server
(a real HTTP server on 127.0.0.1 that checks checksums like the real one)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

from bookings import services
from bookings.models import ConsultationBooking
from bookings.views import (
    ROOM_ENTRIES_PER_CLIENT,
    ROOM_ENTRIES_PER_ROOM,
    ROOM_LOOKUPS_PER_CLIENT,
)
from notifications.models import Notification
from tests import factories
from tests.bookings.fake_bbb import FakeBigBlueButton, running_bbb, signed_join_params

BERLIN = ZoneInfo("Europe/Berlin")
SITE = "https://beratung.example.org"
START = datetime(2027, 6, 7, 8, 0, tzinfo=UTC)  # Monday 10:00 in Berlin
END = START + timedelta(hours=1)
INSIDE = START - timedelta(minutes=5)
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
MONDAY = date(2027, 6, 7)
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    """Every test enters rooms from 127.0.0.1 at the same frozen moment: one window's count."""
    cache.clear()


@pytest.fixture
def bbb(settings) -> Iterator[FakeBigBlueButton]:  # type: ignore[no-untyped-def]
    with running_bbb(settings, SITE) as fake:
        yield fake


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
    return signed_join_params(response["Location"], django_settings.BBB_URL)


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
    assert '<label for="id_name">' in text and '<html lang="de">' in text
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
    assert '<span aria-hidden="true">✕</span>' in shown.content.decode()  # not read out
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
    text = response.content.decode()
    # The message is tied to the field: announced with it, not only shown next to it.
    assert 'aria-describedby="id_name_help id_name_errors" aria-invalid="true"' in text
    assert '<ul class="errorlist" id="id_name_errors">' in text
    assert 'role="alert"' in text
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


# --- rate limits: the link is a bearer secret --------------------------------------------------


def _post(room: str, ip: str, *, at: datetime = INSIDE, **headers: str):  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        return Client().post(f"/raum/{room}/", {"name": "Jo"}, REMOTE_ADDR=ip, **headers)


def _get(room: str, ip: str, *, at: datetime = INSIDE):  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        return Client().get(f"/raum/{room}/", REMOTE_ADDR=ip)


def _guess(n: int) -> str:
    return f"guess-{n:04d}-" + "z" * 16


def assert_throttled(response, retry_after: str = "300") -> None:  # type: ignore[no-untyped-def]
    # INSIDE is 09:55 in Berlin: the ten-minute window ends at 10:00.
    assert response.status_code == 429
    assert response["Retry-After"] == retry_after
    text = response.content.decode()
    assert "Zu viele Versuche" in text and "in 5 Minuten erneut" in text
    assert 'name="name"' not in text and "Dr. Ada Beispiel" not in text


def test_entering_beyond_the_clients_limit_is_429_with_retry_after(bbb):
    booking = room_booking()
    for _ in range(ROOM_ENTRIES_PER_CLIENT.limit):
        assert _post(booking.room, "10.1.0.1").status_code == 302
    assert_throttled(_post(booking.room, "10.1.0.1"))
    assert len(bbb.creates()) == ROOM_ENTRIES_PER_CLIENT.limit  # the video server spared
    assert _post(booking.room, "10.1.0.2").status_code == 302  # another client enters


def test_the_limit_lifts_when_its_window_ends(bbb):
    booking = room_booking()
    for _ in range(ROOM_ENTRIES_PER_CLIENT.limit + 1):
        _post(booking.room, "10.1.0.1")
    assert _post(booking.room, "10.1.0.1", at=START).status_code == 302


def test_guessed_room_ids_use_up_the_entry_limit(bbb):
    booking = room_booking()
    for n in range(ROOM_ENTRIES_PER_CLIENT.limit):
        assert _post(_guess(n), "10.1.0.1").status_code == 404
    assert_throttled(_post(booking.room, "10.1.0.1"))
    assert_throttled(_post(_guess(999), "10.1.0.1"))
    assert bbb.calls == []


def test_guessing_by_looking_at_room_pages_is_limited_too(bbb):
    booking = room_booking()
    for n in range(ROOM_LOOKUPS_PER_CLIENT.limit):
        assert _get(_guess(n), "10.1.0.1").status_code == 404
    assert_throttled(_get(booking.room, "10.1.0.1"))
    assert _get(booking.room, "10.1.0.2").status_code == 200


def test_one_room_is_limited_across_client_addresses(bbb):
    booking = room_booking()
    other = room_booking(room="other-room-" + "w" * 16)
    closed = START - timedelta(hours=1)  # 409 without a call to the video server
    for n in range(ROOM_ENTRIES_PER_ROOM.limit):
        assert _post(booking.room, f"10.2.{n // 200}.{n % 200}", at=closed).status_code == 409
    assert _post(booking.room, "10.3.0.1", at=closed).status_code == 429
    assert _post(other.room, "10.3.0.1", at=closed).status_code == 409


def test_a_throttled_unknown_room_answers_like_a_throttled_real_one(bbb):
    booking = room_booking()
    unknown = "n0-such-room-" + "q" * 12
    for n in range(ROOM_ENTRIES_PER_CLIENT.limit):
        _post(_guess(n), "10.1.0.1")
    real, guessed = _post(booking.room, "10.1.0.1"), _post(unknown, "10.1.0.1")
    assert (real.status_code, real["Retry-After"]) == (guessed.status_code, "300")

    def shape(response, room: str) -> str:  # type: ignore[no-untyped-def]
        text = response.content.decode().replace(room, "ROOM")
        return re.sub(r"[A-Za-z0-9]{64}", "CSRF-TOKEN", text)

    assert shape(real, booking.room) == shape(guessed, unknown)


def test_a_made_up_forwarded_for_does_not_escape_the_limit(bbb):
    booking = room_booking()
    for n in range(ROOM_ENTRIES_PER_CLIENT.limit):
        _post(booking.room, "10.1.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert_throttled(_post(booking.room, "10.1.0.1", HTTP_X_FORWARDED_FOR="192.0.2.250"))


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(bbb, settings):
    settings.REST_FRAMEWORK = {**django_settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    booking = room_booking()
    for _ in range(ROOM_ENTRIES_PER_CLIENT.limit):
        _post(booking.room, "10.0.0.254", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert_throttled(_post(booking.room, "10.0.0.254", HTTP_X_FORWARDED_FOR="192.0.2.1"))
    forwarded = _post(booking.room, "10.0.0.254", HTTP_X_FORWARDED_FOR="192.0.2.2")
    assert forwarded.status_code == 302


def test_the_throttled_page_speaks_english(bbb):
    booking = room_booking()
    for n in range(ROOM_ENTRIES_PER_CLIENT.limit):
        _post(_guess(n), "10.1.0.1")
    with time_machine.travel(INSIDE, tick=False):
        client = Client()
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.post(f"/raum/{booking.room}/", {"name": "Jo"}, REMOTE_ADDR="10.1.0.1")
    text = response.content.decode()
    assert response.status_code == 429
    assert '<html lang="en">' in text
    assert "Too many attempts" in text and "try again in 5 minutes" in text


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
