"""The pages of joining, deciding, the first password and an organisation's people: German
first, English by the language switch, errors next to their fields, no JavaScript needed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from consult import membership_decisions, membership_views
from consult.models import MembershipApplication, Municipality, StaffMembership
from core.rate_limits import RateLimit
from tests import factories
from tests.consult.membership_helpers import application_data, last_mail, link_in, path_of

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _fresh_limits():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def form_data(**overrides):  # type: ignore[no-untyped-def]
    data = application_data(**overrides)
    data["consent"] = "on" if data["consent"] else ""
    return data


def pending(client) -> MembershipApplication:  # type: ignore[no-untyped-def]
    assert client.post("/mitglied-werden/", form_data()).status_code == 302
    url = link_in(last_mail("buergerhaushalt@leipzig.example"), "/bestaetigen/")
    client.post(path_of(url))
    return MembershipApplication.objects.get(status="pending")


def test_join_page_has_labelled_fields_in_german(client):
    page = client.get("/mitglied-werden/").content.decode()
    assert "<h1>Mitglied werden</h1>" in page
    for field in ("organisation_name", "kind", "country", "state", "ags", "email", "consent"):
        assert f'for="id_{field}"' in page, field
    assert 'lang="de"' in page


def test_join_page_speaks_english_after_the_language_switch(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/mitglied-werden/"})
    page = client.get("/mitglied-werden/").content.decode()
    assert 'lang="en"' in page
    assert "Become a member" in page


def test_join_errors_stand_next_to_their_fields_and_keep_the_input(client):
    response = client.post("/mitglied-werden/", form_data(consent=False))
    assert response.status_code == 400
    assert 'id="id_consent_errors"' in response.content.decode()
    response = client.post("/mitglied-werden/", form_data(ags="99999999"))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_ags_errors"' in page
    assert 'aria-invalid="true"' in page
    assert 'value="Leipzig"' in page
    assert not MembershipApplication.objects.exists()


def test_join_without_state_in_germany_is_an_error_on_state(client):
    response = client.post("/mitglied-werden/", form_data(state="", ags=""))
    assert response.status_code == 400
    assert 'id="id_state_errors"' in response.content.decode()


def test_join_duplicate_ags_is_explained_on_the_field(client):
    factories.MunicipalityFactory(name="Leipzig", ags="14713000")
    response = client.post("/mitglied-werden/", form_data())
    assert response.status_code == 400
    assert "bereits Mitglied" in response.content.decode()


def test_join_sends_to_the_check_your_mail_page(client):
    response = client.post("/mitglied-werden/", form_data())
    assert response.status_code == 302 and response["Location"] == "/mitglied-werden/danke/"
    assert "E-Mail" in client.get(response["Location"]).content.decode()


def test_join_page_is_throttled_per_client(client, monkeypatch):
    monkeypatch.setattr(
        membership_views, "APPLICATIONS_PER_CLIENT", RateLimit("test-join", limit=1, window=600)
    )
    assert client.post("/mitglied-werden/", form_data()).status_code == 302
    refused = client.post("/mitglied-werden/", form_data(email="x@y.example", ags=""))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert MembershipApplication.objects.count() == 1


def test_city_suggestions_give_ags_and_state(client):
    page = client.get("/mitglied-werden/orte/", {"organisation_name": "Leipz"}).content.decode()
    assert '<option value="14713000">Leipzig (Sachsen)</option>' in page


def test_city_suggestions_api(api):
    body = api.get("/api/v1/cities/", {"q": "Potsd"}).json()
    assert body["results"][0] == {
        "name": "Potsdam",
        "ags": "12054000",
        "state": "Brandenburg",
        "district": body["results"][0]["district"],
    }


# --- deciding on the page ---------------------------------------------------------------------


def test_decisions_page_is_for_coordinators_only(client, coordinator, staff_user):
    # The back office does not exist for anonymous visitors either (issue 19): 404, no login.
    assert client.get("/koordination/mitglieder/").status_code == 404
    client.force_login(staff_user)
    assert client.get("/koordination/mitglieder/").status_code == 404
    client.force_login(coordinator)
    assert client.get("/koordination/mitglieder/").status_code == 200


def test_coordinator_approves_on_the_page(client, coordinator):
    application = pending(client)
    client.force_login(coordinator)
    page = client.get("/koordination/mitglieder/").content.decode()
    assert "Leipzig" in page and "„Leipzig“ aufnehmen" in page
    response = client.post(f"/koordination/mitglieder/{application.pk}/approve/", follow=True)
    assert "ist aufgenommen" in response.content.decode()
    assert Municipality.objects.filter(ags="14713000").exists()


def test_decline_without_reason_on_the_page_changes_nothing(client, coordinator):
    application = pending(client)
    client.force_login(coordinator)
    response = client.post(
        f"/koordination/mitglieder/{application.pk}/decline/", {"reason": " "}, follow=True
    )
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == "pending"


def test_request_info_on_the_page(client, coordinator):
    application = pending(client)
    client.force_login(coordinator)
    client.post(
        f"/koordination/mitglieder/{application.pk}/request-info/", {"message": "Wer genau?"}
    )
    application.refresh_from_db()
    assert application.status == "info_requested"


def test_decision_on_an_unknown_application_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.post("/koordination/mitglieder/424242/approve/").status_code == 404
    assert client.post(f"/koordination/mitglieder/{2**70}/approve/").status_code == 404
    assert client.post("/koordination/mitglieder/1/explode/").status_code == 404


# --- the first password -----------------------------------------------------------------------


def approved_user_link(client, coordinator):  # type: ignore[no-untyped-def]
    application = pending(client)
    membership_decisions.approve(actor=coordinator, application_id=application.pk)
    user = User.objects.get(email=application.email)
    return user, link_in(last_mail(user.email, "membership_approved"), "/passwort-setzen/")


def test_set_password_page_sets_it_once_and_the_user_can_log_in(client, coordinator):
    user, url = approved_user_link(client, coordinator)
    client.logout()
    assert client.get(path_of(url)).status_code == 200
    response = client.post(
        path_of(url),
        {"password1": "Sonnenblume-Kiezfonds-42", "password2": "Sonnenblume-Kiezfonds-42"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Sonnenblume-Kiezfonds-42")
    again = client.post(
        path_of(url), {"password1": "Noch-ein-Passwort-1", "password2": "Noch-ein-Passwort-1"}
    )
    assert again.status_code == 400 and "schon verwendet" in again.content.decode()
    user.refresh_from_db()
    assert user.check_password("Sonnenblume-Kiezfonds-42")


@pytest.mark.parametrize(
    ("password1", "password2", "field"),
    [("12345678", "12345678", "password2"), ("Ein-gutes-Passwort-1", "anders", "password2")],
)
def test_weak_or_mismatched_password_is_refused_on_the_field(
    client, coordinator, password1, password2, field
):
    user, url = approved_user_link(client, coordinator)
    response = client.post(path_of(url), {"password1": password1, "password2": password2})
    assert response.status_code == 400
    assert f'id="id_{field}_errors"' in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_expired_set_password_link_is_refused(client, coordinator, settings):
    _user, url = approved_user_link(client, coordinator)
    later = timezone.now() + dt.timedelta(hours=settings.MEMBERSHIP_SET_PASSWORD_HOURS + 1)
    with time_machine.travel(later):
        assert client.get(path_of(url)).status_code == 400


def test_tampered_set_password_link_is_refused(client, coordinator):
    _user, url = approved_user_link(client, coordinator)
    assert client.get(path_of(url)[:-4] + "xyz/").status_code == 400


# --- the organisation page --------------------------------------------------------------------


def test_organisation_page_lets_the_admin_invite_and_remove(client):
    organisation = factories.MunicipalityFactory(name="Jena-Test")
    admin = factories.staff_for(organisation)
    StaffMembership.objects.filter(user=admin).update(role="admin")
    colleague = factories.UserFactory(username="kollege-jena")
    StaffMembership.objects.create(user=colleague, municipality=organisation)
    client.force_login(admin)
    page = client.get("/organisation/").content.decode()
    assert "Jena-Test" in page and "Kolleg*in einladen" in page
    client.post(
        "/organisation/invite/", {"email": "neu@jena.example", "role": "staff", "language": "de"}
    )
    assert last_mail("neu@jena.example", "invitation")
    client.post(f"/organisation/remove/{colleague.pk}/")
    colleague.refresh_from_db()
    assert not colleague.is_active


def test_organisation_page_is_404_for_people_without_organisation(client, coordinator):
    client.force_login(factories.ExpertProfileFactory().user)
    assert client.get("/organisation/").status_code == 404


def test_staff_see_their_organisation_but_cannot_invite(client, staff_user):
    client.force_login(staff_user)
    page = client.get("/organisation/").content.decode()
    assert "Kolleg*in einladen" not in page
    client.post(
        "/organisation/invite/", {"email": "neu@x.example", "role": "staff", "language": "de"}
    )
    assert not User.objects.filter(email="neu@x.example").exists()


def test_admin_cannot_remove_another_organisations_person_on_the_page(client):
    admin = factories.staff_for(factories.MunicipalityFactory())
    StaffMembership.objects.filter(user=admin).update(role="admin")
    other = factories.staff_for(factories.MunicipalityFactory())
    client.force_login(admin)
    assert client.post(f"/organisation/remove/{other.pk}/").status_code == 404
    other.refresh_from_db()
    assert other.is_active
