"""The network's public face: home page, member directory (page and API), the legal pages and
their editor, the accessibility feedback."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client

from consult.models import LegalPage, LegalPageRevision, Municipality
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

LEGAL_PATHS = ["/impressum/", "/datenschutz/", "/barrierefreiheit/", "/leichte-sprache/"]


@pytest.fixture(autouse=True)
def _legal_pages(db):  # type: ignore[no-untyped-def]
    if not LegalPage.objects.exists():
        importlib.import_module("consult.migrations.0005_legal_pages").create_pages(apps, None)


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


# --- home page and footer -----------------------------------------------------------------


def test_home_page_links_what_the_network_offers():
    html = Client().get("/").content.decode()
    for href in ["/bibliothek/", "/veranstaltungen/", "/austausch/forum/", "/mitglieder/"]:
        assert f'href="{href}"' in html
    assert 'href="/mitglied-werden/"' in html


@pytest.mark.parametrize(
    "path", ["/", "/mitglieder/", "/veranstaltungen/", "/mitglied-werden/", *LEGAL_PATHS]
)
def test_footer_links_the_legal_pages_on_every_page(path):
    html = Client().get(path).content.decode()
    footer = html.split('<footer class="site-footer">', 1)[1]
    for href in LEGAL_PATHS:
        assert f'href="{href}"' in footer
    assert 'href="/mitglied-werden/"' in footer


# --- directory ---------------------------------------------------------------------------


def _world():  # type: ignore[no-untyped-def]
    leipzig = factories.MunicipalityFactory(name="Leipzig", listed=True, state="Sachsen")
    factories.PlanFactory(municipality=leipzig, procedure_type="citizens-budget")
    factories.MunicipalityFactory(name="Dresden", listed=True, state="Sachsen")
    factories.MunicipalityFactory(
        name="Jugendparlament Köln",
        listed=True,
        state="Nordrhein-Westfalen",
        kind="youth_parliament",
        latitude=50.94,
        longitude=6.96,
    )
    factories.MunicipalityFactory(
        name="Wien",
        listed=True,
        state="",
        country="AT",
        kind="stadt",
        latitude=48.2,
        longitude=16.4,
    )
    factories.MunicipalityFactory(name="Geheimstadt", listed=False, state="Bayern")
    return leipzig


def test_directory_shows_only_listed_organisations_and_no_contacts():
    _world()
    html = Client().get("/mitglieder/").content.decode()
    assert "Leipzig" in html and "Jugendparlament Köln" in html and "Wien" in html
    assert "Geheimstadt" not in html
    assert "@" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Bürgerbudget mit verbindlicher Abstimmung" in html


def test_directory_counts_per_land(client):  # type: ignore[no-untyped-def]
    _world()
    response = client.get("/mitglieder/")
    counts = dict(response.context["counts"])
    assert counts["Sachsen"] == 2
    assert counts["Nordrhein-Westfalen"] == 1
    assert counts["Bayern"] == 0  # the unlisted one is not counted
    assert len(counts) == 16
    assert response.context["abroad"] == 1


def test_directory_filters_by_kind_and_state(client):  # type: ignore[no-untyped-def]
    _world()
    by_kind = client.get("/mitglieder/", {"kind": "youth_parliament"}).context["organisations"]
    assert [o.name for o in by_kind] == ["Jugendparlament Köln"]
    by_state = client.get("/mitglieder/", {"state": "Sachsen"}).context["organisations"]
    assert [o.name for o in by_state] == ["Dresden", "Leipzig"]


def test_directory_map_places_german_members_and_leaves_abroad_to_the_table(client):  # type: ignore[no-untyped-def]
    _world()
    response = client.get("/mitglieder/")
    assert len(response.context["points"]) == 3
    html = response.content.decode()
    assert "<svg" in html and 'role="img"' in html and "<script" not in html.split("<main", 1)[1]


def test_directory_api_is_public_paginated_and_without_contacts(api, django_assert_num_queries):  # type: ignore[no-untyped-def]
    _world()
    with django_assert_num_queries(2):
        response = api.get("/api/v1/directory/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    names = [row["name"] for row in body["results"]]
    assert "Geheimstadt" not in names
    assert all("contact_email" not in row for row in body["results"])
    leipzig = next(row for row in body["results"] if row["name"] == "Leipzig")
    assert leipzig["procedure_type"] == "citizens-budget"
    filtered = api.get("/api/v1/directory/", {"state": "Nordrhein-Westfalen"}).json()
    assert [row["name"] for row in filtered["results"]] == ["Jugendparlament Köln"]


def test_directory_api_refuses_an_unknown_kind_with_400(api):  # type: ignore[no-untyped-def]
    response = api.get("/api/v1/directory/", {"kind": "castle"})
    assert response.status_code == 400
    assert "kind" in response.json()["fields"]


# --- legal pages -------------------------------------------------------------------------


@pytest.mark.parametrize("path", LEGAL_PATHS)
def test_legal_pages_are_public(path):
    response = Client().get(path)
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()


def test_privacy_notice_names_every_processing_and_the_retention(settings):  # type: ignore[no-untyped-def]
    settings.PARTICIPANT_DATA_RETENTION_DAYS = 42
    html = Client().get("/datenschutz/").content.decode()
    for processing in [
        "Konten",
        "Mitgliedsanträge",
        "Beratungsanfragen und Buchungen",
        "Anmeldungen zu Veranstaltungen",
        "Mailserver",
        "Kalender",
        "Forum und Kontaktanfragen",
        "Server-Protokolle",
    ]:
        assert processing in html
    assert "42 Tage" in html


def test_legal_page_in_english(client):  # type: ignore[no-untyped-def]
    html = client.get("/datenschutz/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Privacy notice" in html


def test_markdown_of_a_page_cannot_carry_html(coordinator):  # type: ignore[no-untyped-def]
    response = logged_in(coordinator).post(
        "/koordination/seiten/impressum/",
        {
            "title_de": "Impressum",
            "title_en": "Imprint",
            "body_de": "<script>alert(1)</script> [x](javascript:alert(1)) **fett**",
            "body_en": "",
        },
    )
    assert response.status_code == 302
    html = Client().get("/impressum/").content.decode()
    assert "<script>alert(1)" not in html and 'href="javascript' not in html
    assert "<strong>fett</strong>" in html


def test_coordinator_edits_a_page_and_the_history_keeps_who_and_what(coordinator):  # type: ignore[no-untyped-def]
    client = logged_in(coordinator)
    old = LegalPage.objects.get(slug="impressum").body_de
    response = client.post(
        "/koordination/seiten/impressum/",
        {"title_de": "Impressum", "title_en": "Imprint", "body_de": "Neu", "body_en": "New"},
    )
    assert response.status_code == 302
    page = LegalPage.objects.get(slug="impressum")
    assert page.body_de == "Neu" and page.updated_by == coordinator
    revision = LegalPageRevision.objects.get(page=page)
    assert revision.body_de == old
    assert "Neu" in Client().get("/impressum/").content.decode()
    listing = client.get("/koordination/seiten/").content.decode()
    assert coordinator.get_username() in listing


def test_edit_errors_are_shown_next_to_the_field(coordinator):  # type: ignore[no-untyped-def]
    response = logged_in(coordinator).post(
        "/koordination/seiten/impressum/",
        {"title_de": "", "title_en": "Imprint", "body_de": "x", "body_en": ""},
    )
    assert response.status_code == 200
    assert 'id="id_title_de_errors"' in response.content.decode()


@pytest.mark.parametrize("path", ["/koordination/seiten/", "/koordination/seiten/impressum/"])
def test_legal_page_editor_is_404_for_everyone_but_coordinators(path, staff_user, expert):  # type: ignore[no-untyped-def]
    for user in (staff_user, expert.user):
        assert logged_in(user).get(path).status_code == 404
        assert logged_in(user).post(path, {"title_de": "x", "body_de": "x"}).status_code == 404
    assert Client().get(path).status_code == 404  # the back office, anonymous too (issue 19)
    assert LegalPage.objects.get(slug="impressum").updated_by is None


def test_unknown_legal_page_is_404(coordinator):  # type: ignore[no-untyped-def]
    assert logged_in(coordinator).get("/koordination/seiten/agb/").status_code == 404


# --- accessibility feedback -------------------------------------------------------------


def _feedback(client: Client, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "name": "Mia Muster",
        "email": "mia@example.org",
        "page_url": "/mitglieder/",
        "message": "Die Karte hat zu wenig Kontrast.",
        **overrides,
    }
    return client.post("/barrierefreiheit/", data)


def test_feedback_reaches_every_coordinator_through_the_outbox_and_is_confirmed():
    first, second = factories.coordinator(), factories.coordinator()
    response = _feedback(Client())
    assert response.status_code == 302
    to_coordinators = Notification.objects.filter(kind="accessibility_feedback")
    assert {n.recipient for n in to_coordinators} == {first.email, second.email}
    assert "zu wenig Kontrast" in to_coordinators.first().body_text
    confirmation = Notification.objects.get(kind="accessibility_feedback_received")
    assert confirmation.recipient == "mia@example.org"


def test_feedback_without_message_shows_the_error_next_to_the_field():
    factories.coordinator()
    response = _feedback(Client(), message="")
    assert response.status_code == 200
    assert 'id="id_message_errors"' in response.content.decode()
    assert not Notification.objects.exists()


def test_feedback_flood_is_throttled_with_429():
    cache.clear()  # the counters of the tests before
    factories.coordinator()
    client = Client()
    statuses = [_feedback(client, email=f"p{i}@example.org").status_code for i in range(7)]
    assert statuses[:5] == [302] * 5
    assert statuses[5] == 429
    assert Notification.objects.filter(kind="accessibility_feedback_received").count() == 5


def test_listed_flag_is_what_the_directory_reads():
    organisation = factories.MunicipalityFactory(listed=False)
    assert organisation.name not in Client().get("/mitglieder/").content.decode()
    Municipality.objects.filter(pk=organisation.pk).update(listed=True)
    assert organisation.name in Client().get("/mitglieder/").content.decode()


def test_directory_offers_members_a_contact_request_to_those_open_to_exchange(staff_user):  # type: ignore[no-untyped-def]
    leipzig = _world()
    Municipality.objects.filter(pk=leipzig.pk).update(open_to_exchange=True)
    Municipality.objects.filter(name="Dresden").update(open_to_exchange=False)
    assert "/austausch/kontakte/neu/" not in Client().get("/mitglieder/").content.decode()
    member = Client()
    member.force_login(staff_user)
    html = member.get("/mitglieder/").content.decode()
    assert f"/austausch/kontakte/neu/{leipzig.pk}/" in html
    dresden = Municipality.objects.get(name="Dresden")
    assert f"/austausch/kontakte/neu/{dresden.pk}/" not in html
    assert member.get(f"/austausch/kontakte/neu/{leipzig.pk}/").status_code == 200
