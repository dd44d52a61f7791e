"""The events API: public list and registration, self-service by token, coordinator tools."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from events.models import Registration
from notifications.models import Notification
from tests import factories
from tests.conftest import client_for
from tests.ics_rules import assert_valid_feed, assert_valid_invitation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():  # type: ignore[no-untyped-def]
    cache.clear()  # the "public" throttle counts in the cache across tests
    yield
    cache.clear()


def _payload(n: int = 1, **changes):  # type: ignore[no-untyped-def]
    return {
        "name": f"Anna Beispiel {n}",
        "email": f"anna{n}@gemeinde.example",
        "municipality_name": "Musterstadt",
        "consent": True,
        **changes,
    }


def _token_of(email: str) -> str:
    return Registration.objects.get(email=email).token


def test_anyone_lists_published_events_with_seats_in_constant_queries(
    api, django_assert_max_num_queries
):
    for n in range(5):
        event = factories.EventFactory(capacity=3, online_url="https://meet.example/x")
        for i in range(n):
            Registration.objects.create(
                event=event,
                name="x",
                email=f"{i}@x.example",
                status="confirmed",
                holds_seat=True,
                consent_at=timezone.now(),
            )
    factories.EventFactory(status="draft")
    with django_assert_max_num_queries(4):
        response = api.get("/api/v1/events/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert response.json()["count"] == 5
    first = results[0]
    assert {"id", "kind", "title", "sessions", "capacity", "seats_left", "waitlist_length"} <= set(
        first
    )
    assert {"registration_opens", "registration_closes", "status", "description", "place"} <= set(
        first
    )
    assert "online_url" not in first  # only confirmed participants and organisers see it
    assert sorted(e["seats_left"] for e in results) == [0, 0, 1, 2, 3]
    assert set(first["sessions"][0]) == {"start", "end"}


def _listed(client, event_id):  # type: ignore[no-untyped-def]
    results = client.get("/api/v1/events/?page_size=200").json()["results"]
    return next((e for e in results if e["id"] == event_id), None)


def test_list_seats_follow_registrations_and_match_the_detail(api):
    event = factories.EventFactory(capacity=2)
    for n in (1, 2, 3):
        api.post(f"/api/v1/events/{event.pk}/registrations/", _payload(n), format="json")
    shown = _listed(api, event.pk)
    # Pending registrations keep their seat or their place in line (double opt-in).
    assert (shown["seats_left"], shown["waitlist_length"]) == (0, 1)
    assert shown == api.get(f"/api/v1/events/{event.pk}/").json()
    api.post(f"/api/v1/registrations/{_token_of('anna1@gemeinde.example')}/cancel/")
    shown = _listed(api, event.pk)
    assert (shown["seats_left"], shown["waitlist_length"]) == (0, 0)  # the third moved up
    api.post(f"/api/v1/registrations/{_token_of('anna2@gemeinde.example')}/cancel/")
    api.post(f"/api/v1/registrations/{_token_of('anna3@gemeinde.example')}/cancel/")
    shown = _listed(api, event.pk)
    assert (shown["seats_left"], shown["waitlist_length"]) == (2, 0)
    assert shown == api.get(f"/api/v1/events/{event.pk}/").json()


def test_list_shows_organisers_sessions_and_times_in_the_local_zone(api, coordinator):
    winter = timezone.make_aware(datetime(2030, 1, 15, 9, 0))
    summer = timezone.make_aware(datetime(2030, 7, 15, 9, 0))
    event = factories.EventFactory(
        sessions=[(summer, summer + timedelta(hours=2)), (winter, winter + timedelta(hours=2))],
        description_de="Beschreibung",
        description_en="",
        online_url="https://meet.example/raum",
    )
    expert = factories.ExpertProfileFactory(display_name="Dr. Erika Beispiel")
    named = factories.UserFactory(first_name="Olga", last_name="Organisatorin")
    plain = factories.UserFactory(username="orga-login")
    event.organisers.add(named)
    event.organisers.add(expert.user)
    event.organisers.add(plain)
    shown = _listed(api, event.pk)
    assert shown["organisers"] == [
        {"id": named.pk, "name": "Olga Organisatorin"},
        {"id": expert.user.pk, "name": "Dr. Erika Beispiel"},
        {"id": plain.pk, "name": "orga-login"},
    ]
    assert shown["sessions"] == [
        {"start": "2030-01-15T09:00:00+01:00", "end": "2030-01-15T11:00:00+01:00"},
        {"start": "2030-07-15T09:00:00+02:00", "end": "2030-07-15T11:00:00+02:00"},
    ]
    assert shown["registration_open"] is True and "online_url" not in shown
    english = api.get("/api/v1/events/?page_size=200", HTTP_ACCEPT_LANGUAGE="en").json()
    english = next(e for e in english["results"] if e["id"] == event.pk)
    assert english["title"] == event.title_en and english["description"] == "Beschreibung"
    assert _listed(client_for(coordinator), event.pk)["online_url"] == "https://meet.example/raum"


def test_organisers_see_their_draft_in_the_list_others_do_not(api, staff_user, other_staff_user):
    draft = factories.EventFactory(status="draft")
    draft.organisers.add(staff_user)
    assert _listed(client_for(staff_user), draft.pk)["status"] == "draft"
    assert client_for(staff_user).get(f"/api/v1/events/{draft.pk}/").status_code == 200
    assert _listed(client_for(other_staff_user), draft.pk) is None
    assert _listed(api, draft.pk) is None
    assert client_for(other_staff_user).get(f"/api/v1/events/{draft.pk}/").status_code == 404


def test_draft_is_404_for_the_public_and_visible_to_coordinators(api, coordinator):
    draft = factories.EventFactory(status="draft")
    assert api.get(f"/api/v1/events/{draft.pk}/").status_code == 404
    response = client_for(coordinator).get(f"/api/v1/events/{draft.pk}/")
    assert response.status_code == 200 and "online_url" in response.json()


def test_coordinator_creates_publishes_and_changes_an_event(coordinator, staff_user, api):
    start = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    body = {
        "kind": "workshop",
        "title_de": "Werkstatt Jugendhaushalt",
        "capacity": 12,
        "registration_opens": timezone.now().isoformat(),
        "registration_closes": (start - timedelta(days=2)).isoformat(),
        "sessions": [
            {"start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()},
            {
                "start": (start + timedelta(days=7)).isoformat(),
                "end": (start + timedelta(days=7, hours=3)).isoformat(),
            },
        ],
    }
    assert api.post("/api/v1/events/", body, format="json").status_code in (401, 403)
    assert client_for(staff_user).post("/api/v1/events/", body, format="json").status_code == 403
    client = client_for(coordinator)
    response = client.post("/api/v1/events/", body, format="json")
    assert response.status_code == 201, response.json()
    event_id = response.json()["id"]
    assert response.json()["status"] == "draft" and len(response.json()["sessions"]) == 2
    assert client.post(f"/api/v1/events/{event_id}/publish/").json()["status"] == "published"
    response = client.patch(f"/api/v1/events/{event_id}/", {"capacity": 0}, format="json")
    assert response.status_code == 400 and "capacity" in response.json()["fields"]
    response = client.patch(f"/api/v1/events/{event_id}/", {"capacity": 15}, format="json")
    assert response.json()["capacity"] == 15
    response = client.post(f"/api/v1/events/{event_id}/cancel/", {"reason": "Raum fehlt"})
    assert response.json()["status"] == "cancelled"


def test_public_registration_returns_status_never_the_token(api):
    event = factories.EventFactory(capacity=1)
    response = api.post(f"/api/v1/events/{event.pk}/registrations/", _payload(1), format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert "waitlist_position" not in response.json()  # the place in line is e-mailed only
    token = _token_of("anna1@gemeinde.example")
    assert token not in response.content.decode()
    second = api.post(f"/api/v1/events/{event.pk}/registrations/", _payload(2), format="json")
    assert second.status_code == 201 and second.json() == response.json()
    waiting = Registration.objects.get(email="anna2@gemeinde.example")
    assert not waiting.holds_seat
    assert (
        "Platz 1 auf der Warteliste" in Notification.objects.get(recipient=waiting.email).body_text
    )
    again = api.post(
        f"/api/v1/events/{event.pk}/registrations/",
        _payload(1, name="Jemand Anderes"),
        format="json",
    )
    assert again.status_code == 201
    assert again.json()["status"] == "pending"
    assert "Anna" not in again.content.decode() and token not in again.content.decode()


def test_registering_an_address_again_answers_exactly_like_a_new_registration(api):
    """Whether an address is registered (and how far: held, waiting, confirmed) is nobody's
    business but the address holder's: the answer is the same, the e-mail tells the rest."""
    event = factories.EventFactory(capacity=1)
    url = f"/api/v1/events/{event.pk}/registrations/"
    first = api.post(url, _payload(1), format="json")
    api.post(f"/api/v1/registrations/{_token_of('anna1@gemeinde.example')}/confirm/")
    api.post(url, _payload(2), format="json")  # waiting
    answers = [api.post(url, _payload(n, name="Jemand Anderes"), format="json") for n in (1, 2, 3)]
    for answer in answers:  # confirmed, waiting, and a newcomer
        assert answer.status_code == first.status_code == 201
        assert answer.json() == first.json()
        assert answer.headers.get("Location") is None
    again = Notification.objects.filter(recipient="anna1@gemeinde.example").latest("pk")
    assert "bereits angemeldet" in again.body_text and "bestätigt" in again.body_text
    assert Registration.objects.get(email="anna1@gemeinde.example").name == "Anna Beispiel 1"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "x" * 10_000}, "name"),
        ({"name": "Anna\x01"}, "name"),
        ({"email": "nicht-gültig"}, "email"),
        ({"consent": False}, "consent"),
        ({"consent": None}, "consent"),
        ({"municipality": 99999}, "municipality"),
        ({"municipality": "x" * 201}, "municipality"),
        ({"municipality": "Stadt\x07"}, "municipality"),
        ({"municipality": ["Musterstadt"]}, "municipality"),
        ({"municipality": True}, "municipality"),
    ],
)
def test_bad_registration_input_is_400_with_the_field_named(api, changes, field):
    event = factories.EventFactory()
    response = api.post(
        f"/api/v1/events/{event.pk}/registrations/", _payload(1, **changes), format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body["fields"] and body["code"] == "invalid" and body["detail"]
    assert not Registration.objects.exists()


def test_municipality_is_chosen_by_id_or_typed_by_name_in_the_same_field(api):
    event = factories.EventFactory()
    member = factories.MunicipalityFactory(name="Eberswalde")
    url = f"/api/v1/events/{event.pk}/registrations/"
    bodies = {
        "by-id": {"municipality": member.pk},
        "by-id-text": {"municipality": str(member.pk)},
        "member-typed": {"municipality": "eberswalde"},
        "typed": {"municipality": "Gemeinde ohne Mitgliedschaft"},
        "blank": {"municipality": ""},
        "none": {"municipality": None},
    }
    for n, (key, body) in enumerate(bodies.items()):
        payload = {"name": f"P {n}", "email": f"{key}@example.org", "consent": True, **body}
        response = api.post(url, payload, format="json")
        assert response.status_code == 201, (key, response.content)
    linked = dict(Registration.objects.values_list("email", "municipality_id"))
    typed = dict(Registration.objects.values_list("email", "municipality_name"))
    assert linked["by-id@example.org"] == linked["by-id-text@example.org"] == member.pk
    assert linked["member-typed@example.org"] == member.pk
    assert linked["typed@example.org"] is None
    assert typed["typed@example.org"] == "Gemeinde ohne Mitgliedschaft"
    assert linked["blank@example.org"] is None and linked["none@example.org"] is None


def test_registration_outside_the_window_is_409_with_the_field(api):
    event = factories.EventFactory(
        registration_opens=timezone.now() + timedelta(days=1),
        registration_closes=timezone.now() + timedelta(days=2),
    )
    response = api.post(f"/api/v1/events/{event.pk}/registrations/", _payload(), format="json")
    assert response.status_code == 409 and "registration_opens" in response.json()["fields"]
    cancelled = factories.EventFactory(status="cancelled")
    response = api.post(f"/api/v1/events/{cancelled.pk}/registrations/", _payload(), format="json")
    assert response.status_code == 409 and "event" in response.json()["fields"]
    draft = factories.EventFactory(status="draft")
    response = api.post(f"/api/v1/events/{draft.pk}/registrations/", _payload(), format="json")
    assert response.status_code == 404


def test_self_service_by_token(api):
    event = factories.EventFactory(online_url="https://meet.example/raum")
    api.post(f"/api/v1/events/{event.pk}/registrations/", _payload(1), format="json")
    api.post(f"/api/v1/events/{event.pk}/registrations/", _payload(2), format="json")
    token = _token_of("anna1@gemeinde.example")
    url = f"/api/v1/registrations/{token}/"
    shown = api.get(url).json()
    assert shown["status"] == "pending" and shown["email"] == "anna1@gemeinde.example"
    assert shown["event"]["online_url"] == ""
    assert api.get(f"{url}invite.ics").status_code == 404
    assert api.post(f"{url}confirm/").json()["status"] == "confirmed"
    assert api.get(url).json()["event"]["online_url"] == "https://meet.example/raum"
    ics = api.get(f"{url}invite.ics")
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    # RFC 5545 3.7.2: the media type names the same method as the file's METHOD.
    assert ics["Content-Type"] == "text/calendar; method=REQUEST; charset=utf-8"
    assert_valid_invitation(ics.content, method="REQUEST")
    assert api.post(f"{url}cancel/").json()["status"] == "cancelled"
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_guessed_or_altered_token_is_404_and_reveals_nothing(api):
    event = factories.EventFactory()
    api.post(f"/api/v1/events/{event.pk}/registrations/", _payload(1), format="json")
    token = _token_of("anna1@gemeinde.example")
    altered = token[:-2] + ("xx" if not token.endswith("xx") else "yy")
    for path in ("", "confirm/", "cancel/", "invite.ics"):
        method = api.post if path in ("confirm/", "cancel/") else api.get
        response = method(f"/api/v1/registrations/{altered}/{path}")
        assert response.status_code == 404, path
        assert "anna" not in response.content.decode().lower()
    assert api.get("/api/v1/registrations/short/").status_code == 404
    assert api.delete(f"/api/v1/registrations/{altered}/").status_code == 404
    assert Registration.objects.get().status == "pending"


def test_public_endpoints_are_throttled(api, settings):
    from rest_framework.throttling import ScopedRateThrottle

    event = factories.EventFactory()
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "public": "3/min"}
    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        codes = [
            api.post(
                f"/api/v1/events/{event.pk}/registrations/", _payload(n), format="json"
            ).status_code
            for n in range(4)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert codes == [201, 201, 201, 429]


def _participants_setup(coordinator):  # type: ignore[no-untyped-def]
    event = factories.EventFactory(capacity=1)
    client = client_for(coordinator)
    for n, name in enumerate(['=HYPERLINK("http://evil")', "+49 170", "Zoë Normal"]):
        response = client.post(
            f"/api/v1/events/{event.pk}/participants/",
            {"name": name, "email": f"p{n}@example.org", "municipality_name": "@SUM(A1)"},
            format="json",
        )
        assert response.status_code == 201, response.content
    return event, client


def test_participant_list_shows_status_and_waiting_list(coordinator, staff_user):
    event, client = _participants_setup(coordinator)
    response = client.get(f"/api/v1/events/{event.pk}/participants/")
    rows = response.json()["results"]
    assert [(r["status"], r["waitlist_position"]) for r in rows] == [
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert client_for(staff_user).get(f"/api/v1/events/{event.pk}/participants/").status_code == 404


@pytest.mark.parametrize("suffix", ["participants/?format=csv", "participants.csv"])
def test_csv_export_neutralises_formulas(coordinator, suffix):
    event, client = _participants_setup(coordinator)
    response = client.get(f"/api/v1/events/{event.pk}/{suffix}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["ID", "Name", "E-Mail"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert '\'=HYPERLINK("http://evil")' in cells and "'+49 170" in cells
    assert "'@SUM(A1)" in cells


def test_manual_remove_promotes_and_attendance_after_the_start(coordinator):
    event, client = _participants_setup(coordinator)
    first = Registration.objects.filter(event=event).order_by("id").first()
    assert client.delete(f"/api/v1/events/{event.pk}/participants/{first.pk}/").status_code == 204
    promoted = Registration.objects.filter(event=event, status="confirmed").get()
    response = client.patch(
        f"/api/v1/events/{event.pk}/participants/{promoted.pk}/", {"attended": True}, format="json"
    )
    assert response.status_code == 409  # not begun yet
    session = event.sessions.get()
    session.start = timezone.now() - timedelta(hours=1)
    session.end = timezone.now() + timedelta(hours=1)
    session.save()
    response = client.patch(
        f"/api/v1/events/{event.pk}/participants/{promoted.pk}/", {"attended": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["attended"] is True
    response = client.post(
        f"/api/v1/events/{event.pk}/attendance/",
        {"registrations": [first.pk], "attended": True},
        format="json",
    )
    assert response.status_code == 400 and "registrations" in response.json()["fields"]
    assert Notification.objects.filter(kind="event.registration_promoted").count() == 1


def test_feeds_show_the_events_an_expert_organises_and_a_municipality_takes_part_in(
    api, expert, municipality
):
    start = timezone.now().replace(microsecond=0) + timedelta(days=20)
    series = [
        (start + timedelta(days=7 * i), start + timedelta(days=7 * i, hours=3)) for i in (0, 1)
    ]
    organised = factories.EventFactory(sessions=series, title_de="Werkstatt, Teil; A")
    organised.organisers.add(expert.user)
    factories.EventFactory(title_de="Fremde Veranstaltung")
    draft = factories.EventFactory(status="draft")
    draft.organisers.add(expert.user)
    attended = factories.EventFactory()
    Registration.objects.create(
        event=attended,
        name="Anna",
        email="anna@gemeinde.example",
        municipality=municipality,
        status="confirmed",
        holds_seat=True,
        consent_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    expert.refresh_from_db()
    response = api.get(f"/feeds/{expert.feed_token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; method=PUBLISH; charset=utf-8"
    cal = assert_valid_feed(response.content)
    vevents = cal.walk("VEVENT")
    # One entry per session, with the invitations' UIDs and SEQUENCE; drafts and others' not.
    assert [str(v["UID"]) for v in vevents] == [organised.uid, f"{organised.uid}-s2"]
    assert [v.decoded("DTSTART") for v in vevents] == [s for s, _e in series]
    assert "Werkstatt, Teil; A" in str(vevents[0]["SUMMARY"])
    municipality.refresh_from_db()
    cal = assert_valid_feed(api.get(f"/feeds/{municipality.feed_token}.ics").content)
    assert [str(v["UID"]) for v in cal.walk("VEVENT")] == [attended.uid]
    # A cancelled event leaves the feeds (a subscription drops what is no longer there).
    organised.status = "cancelled"
    organised.save()
    assert not assert_valid_feed(api.get(f"/feeds/{expert.feed_token}.ics").content).walk("VEVENT")


def _half_a_session() -> dict:
    start = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    return {"sessions": [{"start": start.isoformat()}]}


def test_patch_checks_who_and_which_event_before_the_input(api, coordinator, staff_user):
    """A session without its end was a KeyError (500) for anyone logged in, even for event 0:
    the input was read before the caller and the event were."""
    event = factories.EventFactory()
    draft = factories.EventFactory(status="draft")
    body = _half_a_session()
    assert api.patch(f"/api/v1/events/{event.pk}/", body, format="json").status_code == 401
    staff = client_for(staff_user)
    for event_id in (0, draft.pk, 2**70):
        response = staff.patch(f"/api/v1/events/{event_id}/", body, format="json")
        assert response.status_code == 404, (event_id, response.content)
        assert response.json()["code"] == "not_found"
    response = staff.patch(f"/api/v1/events/{event.pk}/", body, format="json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    client = client_for(coordinator)
    assert client.patch("/api/v1/events/0/", body, format="json").status_code == 404


@pytest.mark.parametrize("missing", ["start", "end"])
def test_patch_with_a_session_missing_its_start_or_end_is_400_on_the_session(coordinator, missing):
    event = factories.EventFactory()
    start = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    session = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    del session[missing]
    response = client_for(coordinator).patch(
        f"/api/v1/events/{event.pk}/", {"sessions": [session]}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    errors = body["fields"]["sessions"]  # by the session's index
    assert body["code"] == "invalid" and missing in errors["0"]
    assert event.sessions.count() == 1  # nothing changed


def test_creating_an_event_without_the_role_is_403_whatever_the_input(staff_user):
    response = client_for(staff_user).post("/api/v1/events/", {"kind": "nonsense"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


@pytest.mark.parametrize("consent", [False, "false", 0, None])
def test_consent_must_be_true_and_anything_else_is_400_on_consent(api, consent):
    event = factories.EventFactory()
    response = api.post(
        f"/api/v1/events/{event.pk}/registrations/", _payload(1, consent=consent), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["consent"]
    assert not Registration.objects.exists()


def _schema(client) -> dict:  # type: ignore[no-untyped-def]
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_says_what_the_events_api_does(api):
    schema = _schema(api)
    components = schema["components"]["schemas"]
    for component in ("Registration", "Participant"):
        assert components[component]["properties"]["waitlist_position"]["nullable"] is True
    consent = components["RegisterRequest"]["properties"]["consent"]
    if "allOf" in consent:
        consent = components[consent["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert consent["type"] == "boolean" and consent["enum"] == [True]
    assert "consent" in components["RegisterRequest"]["required"]
    received = components["RegistrationReceived"]["properties"]
    assert set(received) == {"event", "status", "detail"}  # no position, no hold expiry
    paths = schema["paths"]
    register = paths["/api/v1/events/{id}/registrations/"]["post"]["responses"]
    assert {"201", "400", "404", "409", "429"} <= set(register)
    assert "202" not in register and "200" not in register
    assert {"200", "400", "401", "403", "404", "409"} <= set(
        paths["/api/v1/events/{id}/"]["patch"]["responses"]
    )
    for path in ("confirm/", "cancel/"):
        answers = paths[f"/api/v1/registrations/{{token}}/{path}"]["post"]["responses"]
        assert {"200", "404", "409", "429"} <= set(answers), path
    assert {"401", "404", "409"} <= set(
        paths["/api/v1/events/{id}/participants/"]["post"]["responses"]
    )
    assert "201" in paths["/api/v1/events/{id}/participants/"]["post"]["responses"]
