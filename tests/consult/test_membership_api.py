"""Joining through the API: apply, confirm the address (double opt-in), coordinators decide."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from consult.models import MembershipApplication, Municipality, StaffMembership
from notifications.models import Notification
from tests import factories
from tests.conftest import client_for
from tests.consult.membership_helpers import application_data, last_mail, link_in, path_of

pytestmark = pytest.mark.django_db
URL = "/api/v1/membership-applications/"
User = get_user_model()


@pytest.fixture(autouse=True)
def _fresh_throttles():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def apply(api, **overrides):  # type: ignore[no-untyped-def]
    return api.post(URL, application_data(**overrides), format="json")


def confirm(client, url: str):  # type: ignore[no-untyped-def]
    return client.post(path_of(url))


def pending_application(api, client, **overrides) -> MembershipApplication:  # type: ignore[no-untyped-def]
    response = apply(api, **overrides)
    assert response.status_code == 201, response.json()
    application = MembershipApplication.objects.get(pk=response.json()["id"])
    url = link_in(last_mail(application.email, "membership_confirm"), "/bestaetigen/")
    assert confirm(client, url).status_code == 200
    application.refresh_from_db()
    assert application.status == "pending"
    return application


# --- applying ---------------------------------------------------------------------------------


def test_application_is_created_unverified_and_confirmation_link_is_mailed(api):
    response = apply(api)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "status"} and body["status"] == "email_unverified"
    mail = last_mail("buergerhaushalt@leipzig.example", "membership_confirm")
    assert "/mitglied-werden/bestaetigen/" in link_in(mail, "/bestaetigen/")
    assert not Municipality.objects.filter(name="Leipzig").exists()


def test_confirmation_mail_is_in_the_applicants_language(api):
    apply(api, language="en")
    mail = last_mail("buergerhaushalt@leipzig.example", "membership_confirm")
    assert mail.language == "en"
    assert mail.subject == "Please confirm your e-mail address"
    assert "leider" not in mail.body_text.lower() and "Bitte" not in mail.body_text


def test_state_is_taken_from_the_ags_when_left_out(api):
    response = apply(api, state="")
    assert response.status_code == 201
    assert MembershipApplication.objects.get().state == "Sachsen"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consent": False}, "consent"),
        ({"ags": "", "state": ""}, "state"),
        ({"ags": "99999999"}, "ags"),
        ({"ags": "1471300"}, "ags"),
        ({"state": "Bayern"}, "state"),
        ({"kind": "association", "organisation_name": "Verein X"}, "ags"),
        ({"country": "XX", "ags": "", "state": ""}, "country"),
        ({"country": "AT", "ags": "", "state": "Sachsen"}, "state"),
        ({"kind": "castle"}, "kind"),
        ({"email": "not-an-address"}, "email"),
        ({"language": "fr"}, "language"),
    ],
)
def test_bad_application_is_400_on_the_field_and_stores_nothing(api, overrides, field):
    response = apply(api, **overrides)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert {"detail", "code", "fields"} <= set(body)
    assert field in body["fields"], body
    assert not MembershipApplication.objects.exists()


def test_organisation_abroad_needs_no_state(api):
    response = apply(api, country="AT", state="", ags="", organisation_name="Wien")
    assert response.status_code == 201


def test_unknown_ags_message_names_the_field(api):
    body = apply(api, ags="12345678").json()
    assert "Gemeindeschlüssel" in body["fields"]["ags"][0]


# --- confirming -------------------------------------------------------------------------------


def test_opening_the_link_confirms_nothing_only_the_button_does(api, client):
    apply(api)
    url = link_in(last_mail("buergerhaushalt@leipzig.example"), "/bestaetigen/")
    page = client.get(path_of(url))
    assert page.status_code == 200 and b"Adresse best" in page.content
    assert MembershipApplication.objects.get().status == "email_unverified"
    assert confirm(client, url).status_code == 200
    assert MembershipApplication.objects.get().status == "pending"


def test_confirmation_link_works_once(api, client):
    apply(api)
    url = link_in(last_mail("buergerhaushalt@leipzig.example"), "/bestaetigen/")
    assert confirm(client, url).status_code == 200
    again = confirm(client, url)
    assert again.status_code == 400
    assert "schon verwendet" in again.content.decode()


def test_tampered_confirmation_link_is_refused(api, client):
    apply(api)
    url = link_in(last_mail("buergerhaushalt@leipzig.example"), "/bestaetigen/")
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA/") else "BBB") + "/"
    assert confirm(client, tampered).status_code == 400
    assert MembershipApplication.objects.get().status == "email_unverified"


def test_expired_confirmation_link_is_refused(api, client, settings):
    apply(api)
    url = link_in(last_mail("buergerhaushalt@leipzig.example"), "/bestaetigen/")
    later = timezone.now() + dt.timedelta(hours=settings.MEMBERSHIP_CONFIRM_HOURS + 1)
    with time_machine.travel(later):
        response = confirm(client, url)
    assert response.status_code == 400
    assert "abgelaufen" in response.content.decode()
    assert MembershipApplication.objects.get().status == "email_unverified"


# --- duplicates -------------------------------------------------------------------------------


def test_ags_of_a_member_is_409_and_creates_nothing(api):
    factories.MunicipalityFactory(name="Leipzig", ags="14713000")
    response = apply(api)
    assert response.status_code == 409
    assert "ags" in response.json()["fields"]
    assert response.json()["code"] == "already_member"
    assert not MembershipApplication.objects.exists()


def test_ags_with_a_confirmed_open_application_is_409(api, client):
    pending_application(api, client)
    response = apply(api, email="other@leipzig.example")
    assert response.status_code == 409
    assert response.json()["code"] == "application_exists"


def test_unconfirmed_application_does_not_block_the_ags_but_only_one_can_be_confirmed(api, client):
    apply(api, email="first@leipzig.example")
    first = link_in(last_mail("first@leipzig.example"), "/bestaetigen/")
    assert apply(api, email="second@leipzig.example").status_code == 201
    second = link_in(last_mail("second@leipzig.example"), "/bestaetigen/")
    assert confirm(client, second).status_code == 200
    refused = confirm(client, first)
    assert refused.status_code == 400
    assert MembershipApplication.objects.filter(status="pending").count() == 1


@pytest.mark.parametrize("existing", ["account", "application"])
def test_address_in_use_is_answered_like_a_new_one_and_its_owner_is_told(api, existing):
    email = "buergerhaushalt@leipzig.example"
    if existing == "account":
        factories.UserFactory(username="someone", email=email.upper())
    else:
        apply(api, ags="", organisation_name="Leipzig Verein", kind="association")
    response = apply(api, email=email)
    assert response.status_code == 201
    assert set(response.json()) == {"id", "status"}
    assert response.json()["status"] == "email_unverified"
    duplicate = MembershipApplication.objects.get(pk=response.json()["id"])
    assert duplicate.inert == existing and duplicate.confirm_nonce == ""
    notice = last_mail(email, "membership_duplicate")
    assert "bereits" in notice.body_text
    assert User.objects.filter(email__iexact=email).count() == (1 if existing == "account" else 0)


def test_address_in_use_notice_is_sent_once_a_day(api):
    factories.UserFactory(username="someone", email="buergerhaushalt@leipzig.example")
    for _ in range(3):
        assert apply(api).status_code == 201
    assert Notification.objects.filter(kind="membership_duplicate").count() == 1


def test_applications_are_throttled_with_429(api):
    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "membership": "2/min"}
    try:
        assert apply(api, email="a@x.example").status_code == 201
        assert apply(api, email="b@x.example", ags="", state="Bayern").status_code == 201
        refused = apply(api, email="c@x.example", ags="", state="Hessen")
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert MembershipApplication.objects.count() == 2


# --- deciding ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "staff", "expert"])
def test_only_coordinators_see_and_decide_applications_others_get_404(api, client, who):
    application = pending_application(api, client)
    if who == "anonymous":
        caller = api
    elif who == "staff":
        caller = client_for(factories.staff_for(factories.MunicipalityFactory()))
    else:
        caller = client_for(factories.ExpertProfileFactory().user)
    assert caller.get(URL).status_code in (401, 404)
    assert caller.get(f"{URL}{application.pk}/").status_code in (401, 404)
    for action, body in (("approve", {}), ("decline", {"reason": "x"})):
        response = caller.post(f"{URL}{application.pk}/{action}/", body, format="json")
        assert response.status_code in (401, 404)
    application.refresh_from_db()
    assert application.status == "pending"


def test_anonymous_list_is_not_found_rather_than_a_login_prompt(api):
    assert api.get(URL).status_code == 404


def test_coordinator_lists_applications_paginated_and_filtered(api, client, coordinator):
    pending_application(api, client)
    apply(api, email="unverified@x.example", ags="", state="Bayern", organisation_name="Fürth")
    caller = client_for(coordinator)
    body = caller.get(URL).json()
    assert body["count"] == 2 and {"next", "previous", "results"} <= set(body)
    pending = caller.get(URL, {"status": "pending"}).json()
    assert [row["organisation_name"] for row in pending["results"]] == ["Leipzig"]


def test_approval_creates_organisation_and_admin_account_and_mails_a_password_link(
    api, client, coordinator
):
    application = pending_application(api, client)
    response = client_for(coordinator).post(f"{URL}{application.pk}/approve/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    organisation = Municipality.objects.get(ags="14713000")
    assert organisation.kind == "stadt" and organisation.state == "Sachsen"
    assert organisation.member_since == timezone.localdate()
    assert organisation.population and organisation.latitude > 50
    user = User.objects.get(email="buergerhaushalt@leipzig.example")
    assert not user.has_usable_password()
    membership = StaffMembership.objects.get(user=user)
    assert membership.municipality == organisation and membership.role == "admin"
    link = link_in(last_mail(user.email, "membership_approved"), "/konto/passwort-setzen/")
    assert link.startswith("http")


def test_approving_twice_is_409_and_creates_one_organisation(api, client, coordinator):
    application = pending_application(api, client)
    caller = client_for(coordinator)
    assert caller.post(f"{URL}{application.pk}/approve/").status_code == 200
    again = caller.post(f"{URL}{application.pk}/approve/")
    assert again.status_code == 409
    assert Municipality.objects.filter(ags="14713000").count() == 1


def test_unconfirmed_application_cannot_be_approved(api, coordinator):
    response = apply(api)
    application_id = response.json()["id"]
    refused = client_for(coordinator).post(f"{URL}{application_id}/approve/")
    assert refused.status_code == 409
    assert not User.objects.filter(email="buergerhaushalt@leipzig.example").exists()


def test_approval_when_the_address_got_an_account_meanwhile_is_409_and_half_of_nothing(
    api, client, coordinator
):
    application = pending_application(api, client)
    factories.UserFactory(username="late", email="buergerhaushalt@leipzig.example")
    refused = client_for(coordinator).post(f"{URL}{application.pk}/approve/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "email_in_use"
    assert not Municipality.objects.filter(ags="14713000").exists()


def test_decline_needs_a_reason_and_mails_it_in_the_applicants_language(api, client, coordinator):
    application = pending_application(api, client, language="en")
    caller = client_for(coordinator)
    missing = caller.post(f"{URL}{application.pk}/decline/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["fields"]
    response = caller.post(
        f"{URL}{application.pk}/decline/", {"reason": "Not a public body."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "declined"
    mail = last_mail(application.email, "membership_declined")
    assert mail.language == "en" and "Not a public body." in mail.body_text
    assert "unfortunately" in mail.body_text.lower() and "leider" not in mail.body_text
    assert not Municipality.objects.filter(ags="14713000").exists()


def test_request_info_mails_the_question_and_approval_follows(api, client, coordinator):
    application = pending_application(api, client)
    caller = client_for(coordinator)
    response = caller.post(
        f"{URL}{application.pk}/request-info/",
        {"message": "Wer ist Ihre Ansprechperson im Rathaus?"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "info_requested"
    mail = last_mail(application.email, "membership_info_requested")
    assert "Ansprechperson im Rathaus" in mail.body_text
    assert caller.post(f"{URL}{application.pk}/approve/").status_code == 200


def test_unknown_application_id_is_404_even_beyond_a_bigint(coordinator):
    caller = client_for(coordinator)
    assert caller.post(f"{URL}999999/approve/").status_code == 404
    assert caller.post(f"{URL}{2**70}/approve/").status_code == 404
    assert caller.get(f"{URL}{2**70}/").status_code == 404


def test_control_characters_in_names_are_400_on_the_field(api):
    response = apply(api, contact_name="Lea\r\nBcc: x@y.example")
    assert response.status_code == 400
    assert "contact_name" in response.json()["fields"]
    assert not MembershipApplication.objects.exists()


def test_application_list_query_count_does_not_grow_with_rows(
    api, coordinator, django_assert_max_num_queries
):
    for n in range(6):
        apply(api, email=f"a{n}@x.example", ags="", state="Bayern", organisation_name=f"O{n}")
    caller = client_for(coordinator)
    with django_assert_max_num_queries(5):
        assert caller.get(URL).json()["count"] == 6
