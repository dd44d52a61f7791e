"""Moderation (reports, hide, lock, move, edit with history, audit trail), flood limits (429),
and the forum pages: German first, login for anonymous visitors, forms without JavaScript."""

from __future__ import annotations

import pytest

from core.rate_limits import RateLimit
from exchange import forum, limits, moderation
from exchange.models import ModerationAction, PostReport, PostRevision
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_any_member_reports_a_post_once(make_thread, answerer, asker) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    post = forum.reply(user=answerer, thread_id=thread.pk, body="Werbung!")
    url = f"/api/v1/posts/{post.pk}/report/"
    assert client_for(asker).post(url, {"reason": "Spam"}).status_code == 201
    assert client_for(asker).post(url, {"reason": "Spam"}).status_code == 409
    assert client_for(asker).post(url, {"reason": ""}).status_code == 400
    assert PostReport.objects.filter(post=post).count() == 1


def test_only_coordinators_moderate(make_thread, asker, answerer) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    post = forum.reply(user=answerer, thread_id=thread.pk, body="Antwort")
    response = client_for(asker).post(
        f"/api/v1/threads/{thread.pk}/moderate/", {"action": "lock"}, format="json"
    )
    assert response.status_code == 403
    response = client_for(asker).post(
        f"/api/v1/posts/{post.pk}/moderate/", {"action": "hide"}, format="json"
    )
    assert response.status_code == 403
    assert not ModerationAction.objects.exists()


def test_hide_move_lock_are_in_the_audit_trail(make_thread, answerer, asker, coord) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    post = forum.reply(user=answerer, thread_id=thread.pk, body="Beleidigung")
    PostReport.objects.create(post=post, reporter=asker, reason="unfreundlich")
    client = client_for(coord)
    response = client.post(
        f"/api/v1/posts/{post.pk}/moderate/", {"action": "hide", "reason": "Regel 2"}, format="json"
    )
    assert response.status_code == 200 and response.json()["hidden"] is True
    posts = client_for(asker).get(f"/api/v1/threads/{thread.pk}/posts/").json()
    assert [p["id"] for p in posts["results"]] == [thread.first_post_id]
    assert client_for(asker).get(f"/api/v1/posts/{post.pk}/").status_code == 404
    assert not PostReport.objects.filter(resolved_at__isnull=True).exists()
    client.post(
        f"/api/v1/threads/{thread.pk}/moderate/",
        {"action": "move", "topic": "budget-law"},
        format="json",
    )
    client.post(f"/api/v1/threads/{thread.pk}/moderate/", {"action": "lock"}, format="json")
    thread.refresh_from_db()
    assert thread.topic.slug == "budget-law" and thread.locked
    trail = list(ModerationAction.objects.order_by("id").values_list("action", "actor", "detail"))
    assert trail == [
        ("hide_post", coord.pk, "Regel 2"),
        ("move", coord.pk, "youth-school → budget-law"),
        ("lock", coord.pk, ""),
    ]
    bad = client.post(
        f"/api/v1/threads/{thread.pk}/moderate/", {"action": "move", "topic": "nope"}, format="json"
    )
    assert bad.status_code == 400


def test_edits_keep_the_history_visible(make_thread, asker, coord, client) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread(body="Erste Fassung")
    moderation.moderate_post(
        user=coord, post_id=thread.first_post_id, action="edit", body="Zweite Fassung"
    )
    forum.edit_own_post(user=asker, post_id=thread.first_post_id, body="Dritte Fassung")
    assert list(PostRevision.objects.order_by("id").values_list("body", flat=True)) == [
        "Erste Fassung",
        "Zweite Fassung",
    ]
    assert ModerationAction.objects.get().action == "edit_post"
    client.force_login(asker)
    page = client.get(f"/austausch/forum/beitrag/{thread.first_post_id}/fassungen/")
    text = page.content.decode()
    assert "Erste Fassung" in text and "Zweite Fassung" in text and "Dritte Fassung" in text


def test_nobody_edits_another_members_post(make_thread, answerer) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    response = client_for(answerer).post(
        f"/api/v1/posts/{thread.first_post_id}/moderate/",
        {"action": "edit", "body": "gekapert"},
        format="json",
    )
    assert response.status_code == 403


def test_new_accounts_are_rate_limited_with_429(make_thread, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EXCHANGE_NEW_ACCOUNT_POSTS_PER_HOUR = 3
    newcomer = factories.staff_for(factories.MunicipalityFactory())  # joined just now
    thread = make_thread()
    client = client_for(newcomer)
    codes = [
        client.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": f"Beitrag {n}"}).status_code
        for n in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]
    response = client.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "noch einer"})
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_floods_by_settled_members_are_rate_limited_too(make_thread, answerer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(limits, "POSTS_PER_WINDOW", RateLimit("forum-posts", limit=20, window=600))
    thread = make_thread()
    client = client_for(answerer)
    codes = [
        client.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": f"Flut {n}"}).status_code
        for n in range(22)
    ]
    assert codes.count(201) == 20 and codes[-2:] == [429, 429]


# --- pages ------------------------------------------------------------------------------------


def test_forum_pages_send_anonymous_visitors_to_the_login(make_thread, client) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    for url in ("/austausch/forum/", f"/austausch/forum/{thread.pk}/", "/austausch/kontakte/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


def test_public_thread_page_is_readable_without_login(make_thread, coord, client) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    moderation.moderate_thread(user=coord, thread_id=thread.pk, action="publish")
    page = client.get(f"/austausch/forum/{thread.pk}/")
    assert page.status_code == 200
    assert thread.title in page.content.decode()
    assert "Anmelden, um zu antworten" in page.content.decode()


def test_non_member_gets_404_on_member_pages(make_thread, outsider, client) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    client.force_login(outsider)
    assert client.get("/austausch/forum/").status_code == 404
    assert client.get(f"/austausch/forum/{thread.pk}/").status_code == 404


def test_journey_without_javascript(asker, answerer, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(asker)
    page = client.get("/austausch/forum/")
    assert page.status_code == 200
    assert '<html lang="de">' in page.content.decode()
    response = client.post(
        "/austausch/forum/",
        {
            "title": "Wie viel Budget für Schulen?",
            "topic": "youth-school",
            "kind": "question",
            "body": "Wir überlegen **10.000 Euro**.",
        },
    )
    assert response.status_code == 302
    thread_url = response["Location"]
    client.force_login(answerer)
    response = client.post(f"{thread_url}antworten/", {"body": "Bei uns 5.000 Euro je Schule."})
    assert response.status_code == 302
    answer = forum.selectors.thread_for(user=answerer, thread_id=int(thread_url.split("/")[-2]))
    client.post(f"{thread_url}antworten/", {"body": ""})
    page = client.get(f"{thread_url}?quote={answer.first_post_id}")
    assert "Sie zitieren:" in page.content.decode()
    client.force_login(asker)
    reply_id = answer.posts.order_by("-id").first().pk
    assert client.post(f"/austausch/forum/beitrag/{reply_id}/hilfreich/").status_code == 302
    assert client.post(f"{thread_url}geloest/", {"post": reply_id}).status_code == 302
    answer.refresh_from_db()
    assert answer.solved_post_id == reply_id
    page = client.get(thread_url).content.decode()
    assert "Lösung" in page and "<strong>10.000 Euro</strong>" in page
    assert "1-mal hilfreich" in page
    client.post("/i18n/setlang/", {"language": "en", "next": thread_url})
    assert '<html lang="en">' in client.get(thread_url).content.decode()


def test_empty_new_thread_form_is_a_400_with_errors(asker, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(asker)
    response = client.post("/austausch/forum/", {"title": "", "topic": "youth-school"})
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()


def test_thread_page_query_count_is_constant(
    make_thread, asker, answerer, member_expert, client, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    thread = make_thread()
    client.force_login(asker)
    url = f"/austausch/forum/{thread.pk}/"
    forum.reply(user=answerer, thread_id=thread.pk, body="A", quote_id=thread.first_post_id)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(25):
        forum.reply(
            user=member_expert if n % 2 else answerer,
            thread_id=thread.pk,
            body=f"Antwort {n}",
            quote_id=thread.first_post_id,
        )
    with django_assert_num_queries(len(few)):
        assert client.get(url).status_code == 200


def test_moderation_is_in_the_coordinators_audit_trail(make_thread, answerer, coord) -> None:  # type: ignore[no-untyped-def]
    from auditlog.models import LogEntry

    thread = make_thread()
    post = forum.reply(user=answerer, thread_id=thread.pk, body="Beleidigung")
    client = client_for(coord)
    client.post(
        f"/api/v1/posts/{post.pk}/moderate/", {"action": "hide", "reason": "Regel 2"}, format="json"
    )
    client.post(f"/api/v1/threads/{thread.pk}/moderate/", {"action": "lock"}, format="json")
    logged = ModerationAction.objects.order_by("id")
    assert logged.count() == 2
    for action in logged:
        entry = LogEntry.objects.get_for_object(action).get(action=LogEntry.Action.CREATE)
        assert entry.actor == coord
    client.force_login(coord)
    trail = client.get("/koordination/protokoll/", {"kind": "moderation"})
    assert trail.status_code == 200
    assert trail.content.decode().count("Moderation") >= 2
