"""The back office's members pages: the landing page, organisations, people, the expert pool."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts import activation
from bookings.models import ConsultationBooking
from consult.models import Municipality
from core.errors import Conflict, NotFound
from experts.models import ExpertProfile
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()


def _organisation(**kwargs):  # type: ignore[no-untyped-def]
    return factories.MunicipalityFactory(**kwargs)


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


# --- the gate ---------------------------------------------------------------------------------


def test_every_members_page_and_write_is_404_for_outsiders(outsider_client):
    organisation = _organisation(name="Unverändert")
    person = factories.staff_for(organisation)
    expert = factories.ExpertProfileFactory(monthly_capacity=4)
    for url in (
        "/koordination/netzwerk/",
        "/koordination/organisationen/",
        f"/koordination/organisationen/{organisation.pk}/",
        "/koordination/personen/",
        "/koordination/expertinnen/",
        "/koordination/expertinnen/einladen/",
    ):
        assert outsider_client.get(url).status_code == 404, url
    posts = {
        f"/koordination/organisationen/{organisation.pk}/": {"name": "Geändert", "kind": "stadt"},
        f"/koordination/personen/{person.pk}/deaktivieren/": {},
        f"/koordination/expertinnen/{expert.pk}/pausieren/": {},
        f"/koordination/expertinnen/{expert.pk}/kapazitaet/": {"monthly_capacity": "9"},
        "/koordination/expertinnen/einladen/": {"display_name": "X", "email": "x@example.org"},
    }
    for url, body in posts.items():
        assert outsider_client.post(url, body).status_code == 404, url
    organisation.refresh_from_db()
    person.refresh_from_db()
    expert.refresh_from_db()
    assert organisation.name == "Unverändert" and person.is_active
    assert expert.active and expert.monthly_capacity == 4


def test_writes_are_post_only(coordinator_client, staff_user, expert):
    assert (
        coordinator_client.get(f"/koordination/personen/{staff_user.pk}/deaktivieren/").status_code
        == 405
    )
    assert (
        coordinator_client.get(f"/koordination/expertinnen/{expert.pk}/pausieren/").status_code
        == 405
    )
    staff_user.refresh_from_db()
    assert staff_user.is_active


def test_unknown_verbs_and_ids_beyond_a_bigint_are_404(coordinator_client, staff_user):
    assert (
        coordinator_client.post(f"/koordination/personen/{staff_user.pk}/loeschen/").status_code
        == 404
    )
    assert (
        coordinator_client.post(f"/koordination/personen/{10**20}/deaktivieren/").status_code == 404
    )
    assert coordinator_client.get(f"/koordination/organisationen/{10**6}/").status_code == 404


# --- the landing page -------------------------------------------------------------------------


def test_landing_page_counts_and_links_every_members_page(coordinator_client):
    _organisation(listed=True)
    _organisation(listed=False)
    factories.ExpertProfileFactory(active=False)
    page = coordinator_client.get("/koordination/netzwerk/")
    text = page.content.decode()
    counts = page.context["counts"]
    assert (counts.organisations, counts.listed, counts.experts_paused) == (2, 1, 1)
    for url in (
        "/koordination/mitglieder/",
        "/koordination/organisationen/",
        "/koordination/personen/",
        "/koordination/expertinnen/",
    ):
        assert f'href="{url}"' in text
    # The back office's navigation leads here from every page.
    assert (
        'href="/koordination/netzwerk/"'
        in coordinator_client.get("/koordination/").content.decode()
    )


# --- organisations ----------------------------------------------------------------------------


def _names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [o.name for o in response.context["page"]]


def test_organisations_are_searched_by_name_ags_and_district_and_filtered(coordinator_client):
    _organisation(name="Leipzig", ags="14713000", kind="stadt", listed=True)
    _organisation(name="Dresden", ags="14612000", kind="stadt", district="Elbland")
    _organisation(name="Jugendparlament Graz", kind="youth_parliament", country="AT", state="")
    _organisation(name="Verein Bayern", kind="association", state="Bayern", listed=True)
    get = coordinator_client.get
    assert _names(get("/koordination/organisationen/", {"q": "leip"})) == ["Leipzig"]
    assert _names(get("/koordination/organisationen/", {"q": "1461"})) == ["Dresden"]
    assert _names(get("/koordination/organisationen/", {"q": "elbland"})) == ["Dresden"]
    assert _names(get("/koordination/organisationen/", {"kind": "association"})) == [
        "Verein Bayern"
    ]
    assert _names(get("/koordination/organisationen/", {"country": "AT"})) == [
        "Jugendparlament Graz"
    ]
    assert _names(get("/koordination/organisationen/", {"state": "Bayern"})) == ["Verein Bayern"]
    assert _names(get("/koordination/organisationen/", {"listed": "yes"})) == [
        "Leipzig",
        "Verein Bayern",
    ]
    assert _names(get("/koordination/organisationen/", {"listed": "no", "state": "Sachsen"})) == [
        "Dresden"
    ]


def _queries_for(client, url, add, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    """The queries of `url` with 3 rows, then asserted no more with 30."""
    add(3)
    with django_assert_max_num_queries(40) as few:
        first = client.get(url)
    assert first.status_code == 200
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        many = client.get(url)
    assert many.status_code == 200
    return many


def test_organisation_list_query_count_is_constant(
    coordinator_client, django_assert_max_num_queries
):
    def add(n: int) -> None:
        for _ in range(n):
            factories.staff_for(_organisation())

    page = _queries_for(
        coordinator_client, "/koordination/organisationen/", add, django_assert_max_num_queries
    )
    assert page.context["page"].paginator.count == 30
    assert all(o.people == 1 for o in page.context["page"])


def test_organisation_page_shows_data_people_figures_and_trail(coordinator_client):
    organisation = _organisation(name="Leipzig", ags="14713000")
    admin = factories.staff_for(organisation)
    admin.first_name, admin.last_name = "Anna", "Admin"
    admin.save()
    plan = factories.PlanFactory(municipality=organisation)
    factories.RequestFactory(plan=plan)
    text = coordinator_client.get(f"/koordination/organisationen/{organisation.pk}/").content
    page = coordinator_client.get(f"/koordination/organisationen/{organisation.pk}/")
    figures = page.context["figures"]
    assert (figures.plans, figures.requests, figures.bookings) == (1, 1, 0)
    assert "Anna Admin" in text.decode()
    assert [p.user for p in page.context["people"]] == [admin]
    assert LogEntry.objects.get_for_object(organisation).exists()
    assert len(page.context["history"]) >= 1


def _edit(client, organisation, **changes):  # type: ignore[no-untyped-def]
    data = {
        "name": organisation.name,
        "kind": organisation.kind,
        "country": organisation.country,
        "state": organisation.state,
        "ags": organisation.ags,
        "website": organisation.website,
        **({"listed": "on"} if organisation.listed else {}),
        **({"open_to_exchange": "on"} if organisation.open_to_exchange else {}),
    }
    data.update(changes)
    return client.post(
        f"/koordination/organisationen/{organisation.pk}/",
        {k: v for k, v in data.items() if v is not None},
    )


def test_editing_an_organisation_goes_through_the_service_and_is_audited(
    coordinator_client, coordinator
):
    organisation = _organisation(name="Leipzig", state="Sachsen", kind="stadt", listed=False)
    response = _edit(
        coordinator_client,
        organisation,
        ags="14713000",
        state="",  # the AGS names the Land
        website="leipzig.example",
        listed="on",
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.ags == "14713000" and organisation.state == "Sachsen"
    assert organisation.listed and organisation.website == "https://leipzig.example"
    entry = LogEntry.objects.get_for_object(organisation).latest("timestamp")
    assert entry.actor == coordinator
    assert entry.changes_dict["listed"] == ["False", "True"]
    assert entry.changes_dict["ags"] == ["", "14713000"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ags": "99999999"}, "ags", "Diesen Gemeindeschlüssel kennen wir nicht."),
        (
            {"ags": "14713000", "state": "Bayern"},
            "state",
            "Der Gemeindeschlüssel gehört zu Sachsen.",
        ),
        (
            {"ags": "14713000", "kind": "association"},
            "ags",
            "Einen Gemeindeschlüssel haben nur Kommunen.",
        ),
        ({"country": "XX"}, "country", "Unbekannter Ländercode"),
        ({"country": "AT", "state": "Sachsen"}, "state", "Ein Bundesland gibt es nur"),
        ({"state": ""}, "state", "Für Deutschland bitte das Bundesland angeben."),
    ],
)
def test_a_broken_place_is_named_at_its_field_and_nothing_is_written(
    coordinator_client, changes, field, message
):
    organisation = _organisation(name="Leipzig", kind="stadt", state="Sachsen")
    before = Municipality.objects.filter(pk=organisation.pk).values().get()
    response = _edit(coordinator_client, organisation, **changes)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(message in text for text in errors[field]), errors
    assert Municipality.objects.filter(pk=organisation.pk).values().get() == before


def test_an_ags_another_member_has_is_refused(coordinator_client):
    _organisation(name="Leipzig", ags="14713000")
    other = _organisation(name="Leipzig (doppelt)")
    response = _edit(coordinator_client, other, ags="14713000")
    assert response.status_code == 400
    assert "schon ein anderes Mitglied" in str(response.context["form"].errors["ags"])
    other.refresh_from_db()
    assert other.ags == ""


def test_the_api_edit_follows_the_same_rules(api, coordinator):
    organisation = _organisation(name="Leipzig")
    api.force_authenticate(coordinator)
    url = f"/api/v1/municipalities/{organisation.pk}/"
    bad = api.patch(url, {"ags": "99999999"}, format="json")
    assert bad.status_code == 400 and "ags" in bad.json()["fields"]
    assert api.patch(url, {"ags": "14713000"}, format="json").status_code == 200
    organisation.refresh_from_db()
    assert organisation.ags == "14713000"


# --- people -----------------------------------------------------------------------------------


def _usernames(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [u.username for u in response.context["page"]]


def test_people_are_searched_and_filtered_by_role_and_activity(coordinator_client, coordinator):
    organisation = _organisation(name="Leipzig")
    staff = factories.staff_for(organisation)
    staff.first_name, staff.last_name = "Sofia", "Sommer"
    staff.save()
    expert = factories.ExpertProfileFactory().user
    idle = factories.UserFactory(username="ohne-rolle", is_active=False)
    get = coordinator_client.get
    assert _usernames(get("/koordination/personen/", {"q": "sommer"})) == [staff.username]
    assert _usernames(get("/koordination/personen/", {"q": expert.email})) == [expert.username]
    assert _usernames(get("/koordination/personen/", {"role": "coordinator"})) == [
        coordinator.username
    ]
    assert _usernames(get("/koordination/personen/", {"role": "staff"})) == [staff.username]
    assert _usernames(get("/koordination/personen/", {"role": "expert"})) == [expert.username]
    assert _usernames(get("/koordination/personen/", {"role": "none"})) == [idle.username]
    assert _usernames(get("/koordination/personen/", {"active": "no"})) == [idle.username]
    text = get("/koordination/personen/", {"q": "sommer"}).content.decode()
    assert "Leipzig" in text and f"/koordination/organisationen/{organisation.pk}/" in text


def test_people_list_query_count_is_constant(coordinator_client, django_assert_max_num_queries):
    def add(n: int) -> None:
        for i in range(n):
            kind = i % 3
            if kind == 0:
                factories.staff_for(_organisation())
            elif kind == 1:
                factories.ExpertProfileFactory()
            else:
                factories.coordinator()

    page = _queries_for(
        coordinator_client, "/koordination/personen/", add, django_assert_max_num_queries
    )
    assert page.context["page"].paginator.count == 31  # and the viewing coordinator


def _log_in_for_real(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    assert client.login(username=user.username, password="secret-pass-123")
    return client


def test_deactivation_ends_sessions_and_api_tokens_and_is_audited(coordinator_client, coordinator):
    person = factories.staff_for(_organisation())
    browser = _log_in_for_real(person)
    assert browser.get("/organisation/").status_code == 200
    token = Token.objects.create(user=person)
    response = coordinator_client.post(f"/koordination/personen/{person.pk}/deaktivieren/")
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_active
    assert not Token.objects.filter(pk=token.pk).exists()
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(person.pk) for s in Session.objects.all()
    )
    assert browser.get("/organisation/").status_code == 302  # to the login
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/plans/").status_code == 401
    entry = LogEntry.objects.get_for_object(person).latest("timestamp")
    assert entry.actor == coordinator and entry.changes_dict["is_active"] == ["True", "False"]
    # Reactivated, the account logs in afresh: the old session does not come back.
    coordinator_client.post(f"/koordination/personen/{person.pk}/reaktivieren/")
    person.refresh_from_db()
    assert person.is_active
    assert browser.get("/organisation/").status_code == 302
    assert _log_in_for_real(person).get("/organisation/").status_code == 200


def test_the_last_coordinator_cannot_deactivate_themself(coordinator_client, coordinator):
    response = coordinator_client.post(
        f"/koordination/personen/{coordinator.pk}/deaktivieren/", follow=True
    )
    assert "letzte aktive Koordinationskonto" in response.content.decode()
    coordinator.refresh_from_db()
    assert coordinator.is_active
    with pytest.raises(Conflict) as refused:
        activation.set_account_active(actor=coordinator, user_id=coordinator.pk, active=False)
    assert refused.value.code == "last_coordinator"


def test_a_coordinator_may_go_while_another_stays(coordinator_client, coordinator):
    other = factories.coordinator()
    other_client = _log_in_for_real(other)
    coordinator_client.post(f"/koordination/personen/{other.pk}/deaktivieren/")
    other.refresh_from_db()
    assert not other.is_active
    assert other_client.get("/koordination/netzwerk/").status_code == 404
    # Now the only active one: refused.
    with pytest.raises(Conflict):
        activation.set_account_active(actor=coordinator, user_id=coordinator.pk, active=False)
    coordinator_client.post(f"/koordination/personen/{other.pk}/reaktivieren/")
    # With a colleague active again, a coordinator may deactivate their own account.
    response = coordinator_client.post(f"/koordination/personen/{coordinator.pk}/deaktivieren/")
    assert response.status_code == 302 and response.url == "/"
    coordinator.refresh_from_db()
    assert not coordinator.is_active
    assert coordinator_client.get("/koordination/netzwerk/").status_code == 404


def test_only_coordinators_may_change_accounts(staff_user, expert):
    with pytest.raises(NotFound):
        activation.set_account_active(actor=staff_user, user_id=expert.user.pk, active=False)
    expert.user.refresh_from_db()
    assert expert.user.is_active


def test_deactivating_an_expert_account_pauses_the_expert(coordinator_client, expert):
    coordinator_client.post(f"/koordination/personen/{expert.user.pk}/deaktivieren/")
    expert.refresh_from_db()
    assert not expert.active


# --- the expert pool --------------------------------------------------------------------------


def _experts(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.display_name for e in response.context["page"]]


def test_experts_are_searched_by_name_topic_land_and_status(coordinator_client):
    factories.ExpertProfileFactory(
        display_name="Ida Jugend", levels={"youth-school": 3}, states=["Sachsen"]
    )
    factories.ExpertProfileFactory(
        display_name="Ben Recht",
        levels={"budget-law": 2},
        states=["Sachsen-Anhalt", "Thüringen"],
        active=False,
    )
    get = coordinator_client.get
    assert _experts(get("/koordination/expertinnen/", {"q": "recht"})) == ["Ben Recht"]
    assert _experts(get("/koordination/expertinnen/", {"topic": "youth-school"})) == ["Ida Jugend"]
    assert _experts(get("/koordination/expertinnen/", {"state": "Sachsen"})) == ["Ida Jugend"]
    assert _experts(get("/koordination/expertinnen/", {"state": "Thüringen"})) == ["Ben Recht"]
    assert _experts(get("/koordination/expertinnen/", {"status": "paused"})) == ["Ben Recht"]
    assert _experts(get("/koordination/expertinnen/", {"status": "active"})) == ["Ida Jugend"]


def test_expert_pool_query_count_is_constant(coordinator_client, django_assert_max_num_queries):
    def add(n: int) -> None:
        for _ in range(n):
            factories.ExpertProfileFactory(levels={"youth-school": 3, "budget-law": 1})

    page = _queries_for(
        coordinator_client, "/koordination/expertinnen/", add, django_assert_max_num_queries
    )
    assert page.context["page"].paginator.count == 30


def test_capacity_is_changed_alone_and_audited(coordinator_client, coordinator, expert):
    expert.active, expert.monthly_capacity = False, 4
    expert.save()
    response = coordinator_client.post(
        f"/koordination/expertinnen/{expert.pk}/kapazitaet/",
        {"monthly_capacity": "7", "zurueck": "q=Expertin"},
    )
    assert response.status_code == 302 and response.url == "/koordination/expertinnen/?q=Expertin"
    expert.refresh_from_db()
    assert expert.monthly_capacity == 7 and not expert.active
    entry = LogEntry.objects.get_for_object(expert).latest("timestamp")
    assert entry.actor == coordinator and entry.changes_dict["monthly_capacity"] == ["4", "7"]
    bad = coordinator_client.post(
        f"/koordination/expertinnen/{expert.pk}/kapazitaet/", {"monthly_capacity": "1000"}
    )
    assert bad.status_code == 302
    expert.refresh_from_db()
    assert expert.monthly_capacity == 7


def test_pausing_keeps_the_bookings_and_activating_returns_the_expert(coordinator_client):
    booking = factories.ConsultationBookingFactory(status="confirmed")
    expert = booking.expert
    coordinator_client.post(f"/koordination/expertinnen/{expert.pk}/pausieren/")
    expert.refresh_from_db()
    assert not expert.active
    assert ConsultationBooking.objects.get(pk=booking.pk).status == "confirmed"
    coordinator_client.post(f"/koordination/expertinnen/{expert.pk}/freischalten/")
    assert ExpertProfile.objects.get(pk=expert.pk).active


def test_the_members_pages_speak_english(coordinator_client):
    _organisation(name="Leipzig", listed=True)
    organisations = coordinator_client.get(
        "/koordination/organisationen/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Search organisations" in organisations and "1 organisation" in organisations
    people = coordinator_client.get("/koordination/personen/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Last login" in people.content.decode()
    landing = coordinator_client.get("/koordination/netzwerk/", HTTP_ACCEPT_LANGUAGE="en")
    assert "1 member organisation" in landing.content.decode()
