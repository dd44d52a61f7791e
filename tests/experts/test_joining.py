"""Experts join the pool: application with double opt-in, duplicates, the coordinators'
decision, invitation links (expired, reused, tampered), activation, and the way into matches."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from bookings import matches as booking_matches
from experts.joining_models import ExpertApplication
from experts.models import ExpertProfile
from notifications.models import Notification
from tests import factories
from tests.conftest import client_for
from tests.consult.membership_helpers import last_mail, link_in, path_of

pytestmark = pytest.mark.django_db

EMAIL = "ines.beraterin@example.org"
PASSWORD = "Sonnenblume-Kiezfonds-42"


def application_data(**overrides):  # type: ignore[no-untyped-def]
    return {
        "display_name": "Ines Beraterin",
        "email": EMAIL,
        "organisation": "Beteiligung & Co.",
        "bio": "Begleite Jugendbudgets seit 2015.",
        "topics": [
            {"topic": "youth-school", "level": 3},
            {"topic": "public-relations", "level": 2},
        ],
        "references": "Jugendbudget Leipzig 2022",
        "language": "de",
        "consent": True,
        **overrides,
    }


def apply(api: APIClient, **overrides):  # type: ignore[no-untyped-def]
    return api.post("/api/v1/expert-applications/", application_data(**overrides), format="json")


def confirm_url() -> str:
    return link_in(last_mail(EMAIL, "expert_application_confirm"), "/expertin-werden/bestaetigen/")


def applied_and_confirmed(api: APIClient) -> ExpertApplication:
    assert apply(api).status_code == 201
    assert Client().post(path_of(confirm_url())).status_code == 200
    return ExpertApplication.objects.get(email=EMAIL, status="pending")


@pytest.fixture(autouse=True)
def _fresh_throttles():  # type: ignore[no-untyped-def]
    cache.clear()


# --- applying and confirming ------------------------------------------------------------------


def test_application_is_answered_201_and_waits_for_the_address(api):
    response = apply(api)
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], "status": "email_unverified"}
    application = ExpertApplication.objects.get()
    assert application.topics == [
        {"topic": "youth-school", "level": 3},
        {"topic": "public-relations", "level": 2},
    ]
    assert last_mail(EMAIL, "expert_application_confirm")


def test_opening_the_link_confirms_nothing_only_the_button_does(api, coordinator):
    apply(api)
    url = path_of(confirm_url())
    page = Client().get(url)
    assert page.status_code == 200 and "Adresse bestätigen" in page.content.decode()
    assert ExpertApplication.objects.get().status == "email_unverified"
    assert Client().post(url).status_code == 200
    assert ExpertApplication.objects.get().status == "pending"
    assert last_mail(coordinator.email, "expert_application_new")


def test_confirmation_link_works_once(api):
    apply(api)
    url = path_of(confirm_url())
    assert Client().post(url).status_code == 200
    again = Client().post(url)
    assert again.status_code == 400 and "schon verwendet" in again.content.decode()


def test_tampered_and_expired_confirmation_links_are_refused(api, settings):
    apply(api)
    url = path_of(confirm_url())
    assert Client().post(url[:-4] + "xyz/").status_code == 400
    later = timezone.now() + dt.timedelta(hours=settings.MEMBERSHIP_CONFIRM_HOURS + 1)
    with time_machine.travel(later):
        response = Client().post(url)
    assert response.status_code == 400 and "abgelaufen" in response.content.decode()
    assert ExpertApplication.objects.get().status == "email_unverified"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": False}, "consent"),
        ({"topics": [{"topic": "alchemy", "level": 2}]}, "topics"),
        ({"topics": [{"topic": "youth-school", "level": 5}]}, "topics"),
        ({"display_name": "Ines\u2028B"}, "display_name"),
        ({"email": "no-address"}, "email"),
    ],
)
def test_bad_application_is_400_naming_the_field_and_creates_nothing(api, overrides, field):
    response = apply(api, **overrides)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not ExpertApplication.objects.exists()
    assert not Notification.objects.exists()


def test_second_application_of_an_address_gets_the_same_answer_and_a_notice(api):
    assert apply(api).status_code == 201
    second = apply(api, display_name="Ines B.")
    assert second.status_code == 201 and second.json()["status"] == "email_unverified"
    assert ExpertApplication.objects.filter(inert=True).count() == 1
    assert last_mail(EMAIL, "expert_application_duplicate")


def test_address_with_an_account_gets_no_confirmation_link(api):
    factories.UserFactory(username="ines", email=EMAIL)
    assert apply(api).status_code == 201
    assert not Notification.objects.filter(kind="expert_application_confirm").exists()
    assert last_mail(EMAIL, "expert_application_duplicate")


def test_application_flood_is_throttled(api):
    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "membership": "3/hour"}
    try:
        statuses = [apply(api, email=f"p{i}@example.org").status_code for i in range(4)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert statuses == [201, 201, 201, 429]
    assert ExpertApplication.objects.count() == 3


def test_application_page_shows_errors_next_to_the_fields_and_applies():
    client = Client()
    page = client.get("/expertin-werden/")
    assert page.status_code == 200 and 'name="topic_youth-school"' in page.content.decode()
    bad = client.post("/expertin-werden/", {"display_name": "", "email": EMAIL, "language": "de"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="id_display_name_errors"' in html and 'id="id_consent_errors"' in html
    good = client.post(
        "/expertin-werden/",
        {
            "display_name": "Ines Beraterin",
            "email": EMAIL,
            "language": "de",
            "consent": "on",
            "topic_youth-school": "3",
        },
    )
    assert good.status_code == 302
    assert ExpertApplication.objects.get().topics == [{"topic": "youth-school", "level": 3}]


# --- deciding --------------------------------------------------------------------------------


def test_approval_creates_account_and_inactive_profile_and_mails_the_password_link(
    api, coordinator
):
    application = applied_and_confirmed(api)
    response = client_for(coordinator).post(
        f"/api/v1/expert-applications/{application.pk}/approve/"
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"
    expert = ExpertProfile.objects.get(email=EMAIL)
    assert not expert.active and not expert.user.has_usable_password()
    assert {t.topic.slug: t.level for t in expert.topic_levels.all()} == {
        "youth-school": 3,
        "public-relations": 2,
    }
    assert link_in(last_mail(EMAIL, "expert_welcome"), "/konto/passwort-setzen/")
    again = client_for(coordinator).post(f"/api/v1/expert-applications/{application.pk}/approve/")
    assert again.status_code == 409


def test_decline_needs_a_reason_and_mails_it(api, coordinator):
    application = applied_and_confirmed(api)
    url = f"/api/v1/expert-applications/{application.pk}/decline/"
    assert client_for(coordinator).post(url, {"reason": ""}, format="json").status_code == 400
    response = client_for(coordinator).post(
        url, {"reason": "Kein Bezug zu Bürgerhaushalten."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert "Kein Bezug" in last_mail(EMAIL, "expert_declined").body_text
    assert not get_user_model().objects.filter(email=EMAIL).exists()


def test_decisions_are_404_for_everyone_but_coordinators(api, staff_user, expert):
    application = applied_and_confirmed(api)
    for client in (APIClient(), client_for(staff_user), client_for(expert.user)):
        assert client.get("/api/v1/expert-applications/").status_code == 404
        assert client.get(f"/api/v1/expert-applications/{application.pk}/").status_code == 404
        for action in ("approve", "decline"):
            url = f"/api/v1/expert-applications/{application.pk}/{action}/"
            assert client.post(url, {"reason": "x"}, format="json").status_code == 404
        invite = client.post(
            "/api/v1/expert-invitations/",
            {"display_name": "X", "email": "x@example.org"},
            format="json",
        )
        assert invite.status_code in (401, 404)  # anonymous: log in first; others: none
        activation = client.post(
            f"/api/v1/experts/{expert.pk}/activation/", {"active": False}, format="json"
        )
        assert activation.status_code in (401, 404)
    assert ExpertApplication.objects.get(pk=application.pk).status == "pending"
    for user in (staff_user, expert.user):
        body = {"display_name": "X", "email": "x@example.org"}
        assert client_for(user).post("/api/v1/expert-invitations/", body).status_code == 404
        url = f"/api/v1/experts/{expert.pk}/activation/"
        assert client_for(user).post(url, {"active": False}).status_code == 404


def test_pool_pages_are_404_for_non_coordinators(api, staff_user, expert):
    application = applied_and_confirmed(api)
    for user in (staff_user, expert.user):
        client = Client()
        client.force_login(user)
        assert client.get("/koordination/expertinnen/").status_code == 404
        assert client.get("/koordination/expertinnen/einladen/").status_code == 404
        assert (
            client.post(
                f"/koordination/expertinnen/bewerbungen/{application.pk}/annehmen/"
            ).status_code
            == 404
        )
        assert client.post(f"/koordination/expertinnen/{expert.pk}/pausieren/").status_code == 404
    assert ExpertApplication.objects.get(pk=application.pk).status == "pending"
    assert ExpertProfile.objects.get(pk=expert.pk).active


def test_coordinator_decides_on_the_pool_page(api, coordinator):
    application = applied_and_confirmed(api)
    client = Client()
    client.force_login(coordinator)
    page = client.get("/koordination/expertinnen/").content.decode()
    assert "Ines Beraterin" in page
    response = client.post(f"/koordination/expertinnen/bewerbungen/{application.pk}/annehmen/")
    assert response.status_code == 302
    assert ExpertApplication.objects.get(pk=application.pk).status == "approved"


# --- invitations ------------------------------------------------------------------------------


def invite(coordinator, **overrides):  # type: ignore[no-untyped-def]
    body = {"display_name": "Ines Beraterin", "email": EMAIL, "language": "de", **overrides}
    return client_for(coordinator).post("/api/v1/expert-invitations/", body, format="json")


def invitation_link() -> str:
    return path_of(link_in(last_mail(EMAIL, "expert_welcome"), "/konto/passwort-setzen/"))


def test_invitation_creates_an_inactive_expert_and_mails_the_link(coordinator):
    response = invite(coordinator)
    assert response.status_code == 201
    assert response.json()["source"] == "invitation"
    expert = ExpertProfile.objects.get(email=EMAIL)
    assert not expert.active
    assert Client().get(invitation_link()).status_code == 200


def test_invitation_of_an_address_in_use_is_409_and_creates_nothing(coordinator):
    factories.UserFactory(username="ines", email=EMAIL)
    response = invite(coordinator)
    assert response.status_code == 409
    assert response.json()["code"] == "email_in_use"
    assert (
        not ExpertApplication.objects.exists()
        and not ExpertProfile.objects.filter(email=EMAIL).exists()
    )


def test_invitation_link_expired_reused_or_tampered_is_refused(coordinator, settings):
    invite(coordinator)
    url = invitation_link()
    assert Client().get(url[:-4] + "xyz/").status_code == 400
    later = timezone.now() + dt.timedelta(hours=settings.MEMBERSHIP_SET_PASSWORD_HOURS + 1)
    with time_machine.travel(later):
        assert Client().get(url).status_code == 400
    assert Client().post(url, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 302
    reused = Client().post(
        url, {"password1": "Anderes-Passwort-77", "password2": "Anderes-Passwort-77"}
    )
    assert reused.status_code == 400 and "schon verwendet" in reused.content.decode()


def test_invite_page_sends_the_invitation(coordinator):
    client = Client()
    client.force_login(coordinator)
    assert client.get("/koordination/expertinnen/einladen/").status_code == 200
    response = client.post(
        "/koordination/expertinnen/einladen/",
        {"display_name": "Ines Beraterin", "email": EMAIL, "language": "en"},
    )
    assert response.status_code == 302
    assert last_mail(EMAIL, "expert_welcome").language == "en"


# --- from the application to the matches ----------------------------------------------------

NOW = dt.datetime(2030, 3, 4, 8, 0, tzinfo=dt.UTC)  # a Monday


def test_applicant_sets_password_logs_in_completes_profile_is_activated_and_is_matched(
    coordinator, staff_user, municipality
):
    booking_matches.reset_matrix()
    with time_machine.travel(NOW, tick=False):
        api = APIClient()
        application = applied_and_confirmed(api)
        client_for(coordinator).post(f"/api/v1/expert-applications/{application.pk}/approve/")
        url = path_of(link_in(last_mail(EMAIL, "expert_welcome"), "/konto/passwort-setzen/"))
        assert Client().post(url, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 302

        session = APIClient()
        login = session.post("/login/", {"username": EMAIL, "password": PASSWORD})
        assert login.status_code == 302
        expert = ExpertProfile.objects.get(email=EMAIL)
        assert session.get("/expertin/profil/").status_code == 200
        profile = {
            "formats": ["online"],
            "languages": ["de"],
            "states": ["Sachsen"],
            "procedure_types": ["youth-budget"],
            "size_classes": ["medium"],
        }
        assert (
            session.patch(f"/api/v1/experts/{expert.pk}/", profile, format="json").status_code
            == 200
        )
        rules = {"rules": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]}
        assert (
            session.put(
                f"/api/v1/experts/{expert.pk}/availability/", rules, format="json"
            ).status_code
            == 200
        )
        # Switching themselves on is the coordinators' first step, not the expert's.
        self_on = session.patch(f"/api/v1/experts/{expert.pk}/", {"active": True}, format="json")
        assert self_on.status_code == 400 and "active" in self_on.json()["fields"]

        plan = factories.PlanFactory(municipality=municipality, procedure_type="youth-budget")
        request = factories.RequestFactory(
            plan=plan,
            format="online",
            earliest=dt.date(2030, 3, 10),
            latest=dt.date(2030, 4, 10),
            needs={"youth-school": 3, "public-relations": 2},
        )
        matches_url = f"/api/v1/requests/{request.pk}/matches/"
        before = client_for(staff_user).get(matches_url).json()["results"]
        assert expert.pk not in [r["expert"]["id"] for r in before]

        activation = client_for(coordinator).post(
            f"/api/v1/experts/{expert.pk}/activation/",
            {"active": True, "monthly_capacity": 6},
            format="json",
        )
        assert activation.status_code == 200
        assert activation.json() == {"active": True, "monthly_capacity": 6}
        after = client_for(staff_user).get(matches_url).json()["results"]
        assert after[0]["expert"]["id"] == expert.pk
        # Once activated, the expert may pause and resume on their own.
        assert (
            session.patch(
                f"/api/v1/experts/{expert.pk}/", {"active": False}, format="json"
            ).status_code
            == 200
        )
        assert (
            session.patch(
                f"/api/v1/experts/{expert.pk}/", {"active": True}, format="json"
            ).status_code
            == 200
        )
    booking_matches.reset_matrix()


def test_coordinator_pauses_and_activates_on_the_pool_page(coordinator, expert):
    client = Client()
    client.force_login(coordinator)
    assert client.post(f"/koordination/expertinnen/{expert.pk}/pausieren/").status_code == 302
    expert.refresh_from_db()
    assert not expert.active
    client.post(f"/koordination/expertinnen/{expert.pk}/freischalten/", {"monthly_capacity": "2"})
    expert.refresh_from_db()
    assert expert.active and expert.monthly_capacity == 2


def test_ids_beyond_a_bigint_and_bad_activation_input_are_clear_4xx(coordinator, expert):
    huge = 10**20
    client = client_for(coordinator)
    assert client.post(f"/api/v1/expert-applications/{huge}/approve/").status_code == 404
    assert client.post(f"/api/v1/experts/{huge}/activation/", {"active": True}).status_code == 404
    bad = client.post(
        f"/api/v1/experts/{expert.pk}/activation/",
        {"active": True, "monthly_capacity": 1000},
        format="json",
    )
    assert bad.status_code == 400
    assert (
        set(bad.json()) >= {"detail", "code", "fields"}
        and "monthly_capacity" in bad.json()["fields"]
    )
    page = Client()
    page.force_login(coordinator)
    assert page.post(f"/koordination/expertinnen/{huge}/pausieren/").status_code == 404
    assert page.post(f"/koordination/expertinnen/bewerbungen/{huge}/annehmen/").status_code == 404
    assert page.post(f"/koordination/expertinnen/{expert.pk}/loeschen/").status_code == 404


def test_an_english_application_is_answered_in_english(api, coordinator):
    apply(api, language="en")
    confirm = last_mail(EMAIL, "expert_application_confirm")
    assert confirm.language == "en" and "Please confirm" in confirm.subject
    Client().post(path_of(confirm_url()))
    application = ExpertApplication.objects.get(status="pending")
    client_for(coordinator).post(f"/api/v1/expert-applications/{application.pk}/approve/")
    welcome = last_mail(EMAIL, "expert_welcome")
    assert welcome.subject == "Welcome to the expert pool"
    assert ExpertProfile.objects.get(email=EMAIL).bio_en.startswith("Begleite")
