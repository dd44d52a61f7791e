"""Debates: only coordinators open, change and summarise them; the invited kinds of
organisation are e-mailed; a debate takes contributions only while open; the summary stays
readable after the end (publicly or for members, as chosen)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from consult.choices import OrganisationKind
from core.errors import Conflict, Invalid
from exchange import debates, forum
from exchange.models import Debate
from notifications.models import Notification
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _open(coord, *, starts_in: int = -1, days: int = 7, kinds=("school",), materials=()) -> Debate:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return debates.open_debate(
        user=coord,
        title_de="Jugendbudgets an Schulen",
        title_en="Youth budgets at schools",
        description_de="Wie gelingt ein **Schulbudget**?",
        description_en="How does a **school budget** work?",
        topic_slug="youth-school",
        starts_at=now + dt.timedelta(days=starts_in),
        ends_at=now + dt.timedelta(days=starts_in + days),
        invited_kinds=list(kinds),
        material_ids=list(materials),
    )


def _payload(**changes):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return {
        "title_de": "Jugendbudgets an Schulen",
        "description_de": "Erfahrungen sammeln",
        "topic": "youth-school",
        "starts_at": now.isoformat(),
        "ends_at": (now + dt.timedelta(days=14)).isoformat(),
        "invited_kinds": ["school", "youth_parliament"],
        **changes,
    }


def test_only_coordinators_open_a_debate_through_the_api(coord, asker) -> None:  # type: ignore[no-untyped-def]
    assert client_for(asker).post("/api/v1/debates/", _payload(), format="json").status_code == 403
    assert Client().get("/api/v1/debates/").status_code in (401, 403)
    response = client_for(coord).post("/api/v1/debates/", _payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["phase"] == "open" and body["invited_kinds"] == ["school", "youth_parliament"]
    assert client_for(asker).get(f"/api/v1/debates/{body['id']}/").status_code == 200


def test_bad_debate_input_gets_400_with_the_field(coord) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    response = client_for(coord).post(
        "/api/v1/debates/",
        _payload(ends_at=(now - dt.timedelta(days=1)).isoformat(), invited_kinds=["martians"]),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"detail", "code", "fields"}
    assert "invited_kinds" in response.json()["fields"]
    response = client_for(coord).post("/api/v1/debates/", _payload(topic="nope"), format="json")
    assert response.status_code == 400 and "topic" in response.json()["fields"]


def test_invitations_go_to_staff_of_the_invited_kinds_only(coord) -> None:  # type: ignore[no-untyped-def]
    school = factories.staff_for(factories.MunicipalityFactory(kind=OrganisationKind.SCHOOL))
    parliament = factories.staff_for(
        factories.MunicipalityFactory(kind=OrganisationKind.YOUTH_PARLIAMENT)
    )
    town = factories.staff_for(factories.MunicipalityFactory(kind=OrganisationKind.STADT))
    from core.preferences import set_language

    set_language(parliament, "en")
    debate = _open(coord, kinds=("school", "youth_parliament"))
    invited = {
        row.recipient: row for row in Notification.objects.filter(kind="exchange_debate_invite")
    }
    assert set(invited) == {school.email, parliament.email}
    assert town.email not in invited
    assert invited[school.email].subject == "Einladung zur Debatte: Jugendbudgets an Schulen"
    assert invited[parliament.email].subject == "Invitation to the debate: Youth budgets at schools"
    assert f"/austausch/debatten/{debate.pk}/" in invited[school.email].body_text
    # Adding a kind later invites only the newcomers: nobody is invited twice.
    debates.update_debate(user=coord, debate_id=debate.pk, invited_kinds=["school", "stadt"])
    rows = Notification.objects.filter(kind="exchange_debate_invite")
    assert rows.filter(recipient=school.email).count() == 1
    assert rows.filter(recipient=town.email).count() == 1


def test_members_contribute_while_open_and_a_closed_debate_refuses_posts(coord, asker) -> None:  # type: ignore[no-untyped-def]
    debate = _open(coord)
    post = forum.reply(user=asker, thread_id=debate.thread_id, body="Bei uns: 5 € pro Kopf.")
    assert post.thread_id == debate.thread_id
    later = debate.ends_at + dt.timedelta(minutes=1)
    with pytest.raises(Conflict) as closed:
        forum.reply(user=asker, thread_id=debate.thread_id, body="Noch etwas", now=later)
    assert closed.value.code == "debate_closed"
    upcoming = _open(coord, starts_in=3)
    with pytest.raises(Conflict) as early:
        forum.reply(user=asker, thread_id=upcoming.thread_id, body="Schon jetzt")
    assert early.value.code == "debate_not_started"


def test_contribution_page_refuses_a_closed_debate(coord, asker) -> None:  # type: ignore[no-untyped-def]
    debate = _open(coord, starts_in=-10, days=5)
    client = Client()
    client.force_login(asker)
    page = client.get(f"/austausch/debatten/{debate.pk}/")
    assert page.status_code == 200 and b"Beitrag senden" not in page.content
    response = client.post(
        f"/austausch/debatten/{debate.pk}/beitragen/", {"body": "zu spät"}, follow=True
    )
    assert "Diese Debatte ist beendet." in response.content.decode()
    assert debate.thread.posts.count() == 1


def test_open_debate_page_takes_a_contribution(coord, asker) -> None:  # type: ignore[no-untyped-def]
    debate = _open(coord)
    client = Client()
    client.force_login(asker)
    response = client.post(
        f"/austausch/debatten/{debate.pk}/beitragen/", {"body": "Wir haben **gute** Erfahrungen."}
    )
    assert response.status_code == 302
    page = client.get(f"/austausch/debatten/{debate.pk}/").content.decode()
    assert "<strong>gute</strong>" in page


def test_summary_only_after_the_end_and_only_by_coordinators(coord, asker) -> None:  # type: ignore[no-untyped-def]
    debate = _open(coord)
    url = f"/api/v1/debates/{debate.pk}/summary/"
    assert client_for(coord).post(url, {"summary_de": "Fazit"}, format="json").status_code == 409
    Debate.objects.filter(pk=debate.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=9),
        ends_at=timezone.now() - dt.timedelta(days=1),
    )
    assert client_for(asker).post(url, {"summary_de": "Fazit"}, format="json").status_code == 403
    response = client_for(coord).post(
        url, {"summary_de": "Fazit: **klein anfangen**", "public": True}, format="json"
    )
    assert response.status_code == 200
    assert "<strong>klein anfangen</strong>" in response.json()["summary_html_de"]


def test_public_summary_stays_readable_for_anyone_after_the_end(coord) -> None:  # type: ignore[no-untyped-def]
    debate = _open(coord, starts_in=-10, days=5)
    debates.publish_summary(user=coord, debate_id=debate.pk, summary_de="Das Fazit", public=True)
    page = Client().get(f"/austausch/debatten/{debate.pk}/")
    assert page.status_code == 200 and "Das Fazit" in page.content.decode()
    assert Client().get(f"/api/v1/debates/{debate.pk}/").json()["summary_de"] == "Das Fazit"


def test_members_only_summary_is_hidden_from_the_public(coord, asker, outsider) -> None:  # type: ignore[no-untyped-def]
    debate = _open(coord, starts_in=-10, days=5)
    debates.publish_summary(user=coord, debate_id=debate.pk, summary_de="Intern", public=False)
    anonymous = Client().get(f"/austausch/debatten/{debate.pk}/")
    assert anonymous.status_code == 302  # to the login
    signed_in = Client()
    signed_in.force_login(outsider)
    assert signed_in.get(f"/austausch/debatten/{debate.pk}/").status_code == 404
    assert client_for(outsider).get(f"/api/v1/debates/{debate.pk}/").status_code == 404
    member = Client()
    member.force_login(asker)
    assert "Intern" in member.get(f"/austausch/debatten/{debate.pk}/").content.decode()


def test_materials_must_be_published_library_resources(coord) -> None:  # type: ignore[no-untyped-def]
    resource = factories.ResourceFactory(title_de="Leitfaden Schulbudget")
    draft = factories.ResourceFactory(status="draft")
    debate = _open(coord, materials=[resource.pk])
    assert list(debate.materials.all()) == [resource]
    with pytest.raises(Invalid):
        _open(coord, materials=[draft.pk])


def test_coordinator_forms_are_404_for_members(coord, asker) -> None:  # type: ignore[no-untyped-def]
    debate = _open(coord)
    client = Client()
    client.force_login(asker)
    for url in (
        "/austausch/debatten/neu/",
        f"/austausch/debatten/{debate.pk}/bearbeiten/",
        f"/austausch/debatten/{debate.pk}/zusammenfassung/",
    ):
        assert client.get(url).status_code == 404


def test_coordinator_opens_a_debate_with_the_form(coord) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(coord)
    assert client.get("/austausch/debatten/neu/").status_code == 200
    response = client.post(
        "/austausch/debatten/neu/",
        {
            "title_de": "Kiezfonds",
            "description_de": "Wie verteilt ein Kiez Geld?",
            "topic": "youth-school",
            "starts_at": "2026-01-01T10:00",
            "ends_at": "2026-01-31T18:00",
            "invited_kinds": ["association"],
        },
    )
    assert response.status_code == 302
    assert Debate.objects.get(title_de="Kiezfonds").invited_kinds == ["association"]
    bad = client.post("/austausch/debatten/neu/", {"title_de": ""})
    assert bad.status_code == 400


def test_debate_list_query_count_is_constant(coord, asker, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    _open(coord)
    client = Client()
    client.force_login(asker)
    client.get("/austausch/debatten/")
    api = client_for(asker)
    api.get("/api/v1/debates/")  # the caller's roles are read once per client
    counted = _api_queries(api, "/api/v1/debates/")
    page_queries = _page_queries(client, "/austausch/debatten/")
    for _ in range(4):
        _open(coord)
    with django_assert_num_queries(counted):
        assert len(api.get("/api/v1/debates/").json()["results"]) == 5
    assert _page_queries(client, "/austausch/debatten/") == page_queries


def _page_queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _api_queries(api, url: str) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured.captured_queries)


def test_posting_to_a_closed_debate_through_the_forum_api_gets_409(coord, asker) -> None:  # type: ignore[no-untyped-def]
    debate = _open(coord, starts_in=-10, days=5)
    response = client_for(asker).post(
        f"/api/v1/threads/{debate.thread_id}/posts/", {"body": "zu spät"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "debate_closed"
    assert set(response.json()) >= {"detail", "code", "fields"}
