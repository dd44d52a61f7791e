"""News: everybody reads what is published (page, API, Atom feed), coordinators write and see
drafts; partner networks: a public page, edits by coordinators only (404 for everyone else);
the demo data loads twice without duplicates."""

from __future__ import annotations

import datetime as dt
import io

import defusedxml.ElementTree as ET
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exchange import demo, news
from exchange.models import NewsItem, PartnerNetwork
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def _item(coord, title: str, *, days: float | None = -1, **extra) -> NewsItem:  # type: ignore[no-untyped-def]
    published = None if days is None else timezone.now() + dt.timedelta(days=days)
    return news.save_news(
        user=coord,
        title_de=title,
        body_de=extra.pop("body_de", "Text mit **Markdown**"),
        published_at=published,
        **extra,
    )


def test_atom_feed_is_valid_xml_with_only_published_entries(coord) -> None:  # type: ignore[no-untyped-def]
    _item(coord, "Veröffentlicht", title_en="Published")
    _item(coord, "Entwurf", days=None)
    _item(coord, "Geplant", days=3)
    response = Client().get("/austausch/neuigkeiten/atom.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Veröffentlicht"]
    entry = entries[0]
    assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}updated")
    assert "/austausch/neuigkeiten/" in entry.find(f"{ATOM}link").get("href")
    assert "<strong>Markdown</strong>" in entry.findtext(f"{ATOM}summary")


def test_news_page_and_api_show_only_published_to_the_public(coord) -> None:  # type: ignore[no-untyped-def]
    _item(coord, "Veröffentlicht")
    draft = _item(coord, "Entwurf", days=None)
    page = Client().get("/austausch/neuigkeiten/").content.decode()
    assert "Veröffentlicht" in page and "Entwurf</a>" not in page
    titles = [r["title_de"] for r in Client().get("/api/v1/news/").json()["results"]]
    assert titles == ["Veröffentlicht"]
    assert Client().get(f"/austausch/neuigkeiten/{draft.pk}/").status_code == 404
    assert Client().get(f"/api/v1/news/{draft.pk}/").status_code == 404
    coordinator_titles = [
        r["title_de"] for r in client_for(coord).get("/api/v1/news/").json()["results"]
    ]
    assert set(coordinator_titles) == {"Veröffentlicht", "Entwurf"}


def test_news_body_markdown_is_sanitised(coord) -> None:  # type: ignore[no-untyped-def]
    item = _item(coord, "XSS", body_de="<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script" not in item.body_html_de and 'href="javascript' not in item.body_html_de


def test_only_coordinators_write_news(coord, asker) -> None:  # type: ignore[no-untyped-def]
    body = {"title_de": "Hallo", "body_de": "Text", "published_at": timezone.now().isoformat()}
    assert client_for(asker).post("/api/v1/news/", body, format="json").status_code == 403
    assert Client().post("/api/v1/news/", body, content_type="application/json").status_code in (
        401,
        403,
    )
    response = client_for(coord).post("/api/v1/news/", body, format="json")
    assert response.status_code == 201 and response.json()["body_html_de"].strip() == "<p>Text</p>"
    bad = client_for(coord).post("/api/v1/news/", {"title_de": ""}, format="json")
    assert bad.status_code == 400 and {"detail", "code", "fields"} <= set(bad.json())
    member = Client()
    member.force_login(asker)
    assert member.get("/austausch/neuigkeiten/neu/").status_code == 404


def test_english_page_shows_the_english_text_and_falls_back_to_german(coord) -> None:  # type: ignore[no-untyped-def]
    _item(coord, "Neuigkeit", title_en="News item")
    _item(coord, "Nur Deutsch")
    english = Client().get("/austausch/neuigkeiten/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "News item" in english and "Nur Deutsch" in english and ">Neuigkeit<" not in english
    german = Client().get("/austausch/neuigkeiten/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert ">Neuigkeit<" in german and "News item" not in german


def test_news_list_query_count_is_constant(coord) -> None:  # type: ignore[no-untyped-def]
    _item(coord, "Eins")
    client = Client()
    first = _queries(client, "/austausch/neuigkeiten/")
    for n in range(5):
        _item(coord, f"Mehr {n}")
    assert _queries(client, "/austausch/neuigkeiten/") == first
    api_first = _queries(client, "/api/v1/news/")
    _item(coord, "Noch eine")
    assert _queries(client, "/api/v1/news/") == api_first
    assert _queries(client, "/austausch/neuigkeiten/atom.xml") <= 2


# --- partner networks ---------------------------------------------------------------------------


PARTNER = {
    "name": "People Powered",
    "url": "https://www.peoplepowered.org/",
    "description_de": "Globales Netzwerk",
    "offers_de": "Leitfäden, Webinare",
    "position": 1,
}


def test_partner_page_is_public_and_edits_are_for_coordinators_only(coord, asker, outsider) -> None:  # type: ignore[no-untyped-def]
    partner = news.save_partner(user=coord, **PARTNER)
    page = Client().get("/austausch/netzwerke/")
    assert page.status_code == 200 and "Leitfäden, Webinare" in page.content.decode()
    urls = (
        "/austausch/netzwerke/neu/",
        f"/austausch/netzwerke/{partner.pk}/bearbeiten/",
    )
    for user in (None, asker, outsider):
        client = Client()
        if user is not None:
            client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404
            assert client.post(url, {**PARTNER, "name": "Übernommen"}).status_code == 404
        assert client.post(f"/austausch/netzwerke/{partner.pk}/entfernen/").status_code == 404
    partner.refresh_from_db()
    assert partner.name == "People Powered"


def test_coordinator_adds_edits_and_removes_a_partner(coord) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(coord)
    assert client.post("/austausch/netzwerke/neu/", PARTNER).status_code == 302
    partner = PartnerNetwork.objects.get(name="People Powered")
    response = client.post(
        f"/austausch/netzwerke/{partner.pk}/bearbeiten/", {**PARTNER, "offers_de": "Mehr"}
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.offers_de == "Mehr"
    duplicate = client.post("/austausch/netzwerke/neu/", PARTNER)
    assert duplicate.status_code == 400
    assert client.post(f"/austausch/netzwerke/{partner.pk}/entfernen/").status_code == 302
    assert not PartnerNetwork.objects.exists()


def test_partner_page_query_count_is_constant(coord) -> None:  # type: ignore[no-untyped-def]
    news.save_partner(user=coord, **PARTNER)
    client = Client()
    first = _queries(client, "/austausch/netzwerke/")
    for n in range(4):
        news.save_partner(user=coord, **{**PARTNER, "name": f"Netzwerk {n}"})
    assert _queries(client, "/austausch/netzwerke/") == first


def test_demo_data_loads_twice_without_duplicates(db) -> None:  # type: ignore[no-untyped-def]
    demo.seed(options={}, out=io.StringIO())
    demo.seed(options={}, out=io.StringIO())
    names = set(PartnerNetwork.objects.values_list("name", flat=True))
    assert {"People Powered", "Netzwerk Bürgerbeteiligung"} <= names
    assert any("Kommunen in der Einen Welt" in name for name in names)
    assert NewsItem.objects.count() == 2
    from exchange.models import Debate

    assert Debate.objects.filter(title_de="Jugendbudgets an Schulen").count() == 1


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)
