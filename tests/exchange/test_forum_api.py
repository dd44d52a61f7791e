"""The forum API: who may read and write what, status codes, the error shape, query counts."""

from __future__ import annotations

import pytest

from exchange import forum
from exchange.models import HelpfulVote, Thread
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

THREADS = "/api/v1/threads/"


def _error_shape(response) -> None:  # type: ignore[no-untyped-def]
    assert set(response.json()) >= {"detail", "code", "fields"}


def test_member_opens_a_question_and_gets_its_rendered_body(asker) -> None:  # type: ignore[no-untyped-def]
    response = client_for(asker).post(
        THREADS,
        {
            "title": "Wie startet man ein Jugendbudget?",
            "body": "Wir planen **ein Budget** für Schulen.",
            "topic": "youth-school",
            "kind": "question",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["topic"] == "youth-school"
    assert data["kind"] == "question"
    assert data["body_html"] == "<p>Wir planen <strong>ein Budget</strong> für Schulen.</p>\n"
    assert data["organisation"]["name"] == "Leipzig"
    assert data["post_count"] == 1
    detail = client_for(asker).get(f"{THREADS}{data['id']}/").json()
    assert detail["body_html"] == data["body_html"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"title": "", "body": "x", "topic": "youth-school"}, "title"),
        ({"title": "T", "body": "", "topic": "youth-school"}, "body"),
        ({"title": "T", "body": "x", "topic": "no-such-topic"}, "topic"),
        ({"title": "T", "body": "x", "topic": "youth-school", "kind": "rant"}, "kind"),
        ({"title": "T" * 201, "body": "x", "topic": "youth-school"}, "title"),
        ({"title": "T", "body": "x" * 20_001, "topic": "youth-school"}, "body"),
    ],
)
def test_bad_thread_input_is_a_400_naming_the_field(asker, payload, field) -> None:  # type: ignore[no-untyped-def]
    response = client_for(asker).post(THREADS, payload, format="json")
    assert response.status_code == 400
    _error_shape(response)
    assert field in response.json()["fields"]


def test_anonymous_callers_get_401_on_list_detail_and_writes(make_thread, api) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    assert api.get(THREADS).status_code == 401
    assert api.get(f"{THREADS}{thread.pk}/").status_code == 401
    assert api.get(f"{THREADS}{thread.pk}/posts/").status_code == 401
    assert api.get(f"{THREADS}999999/").status_code == 401  # same answer: nothing revealed
    response = api.post(THREADS, {"title": "T", "body": "x", "topic": "youth-school"})
    assert response.status_code == 401
    _error_shape(response)
    assert api.post(f"{THREADS}{thread.pk}/posts/", {"body": "x"}).status_code == 401


def test_public_thread_is_readable_by_anyone(make_thread, coord, api, outsider) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    response = client_for(coord).post(
        f"{THREADS}{thread.pk}/moderate/", {"action": "publish"}, format="json"
    )
    assert response.status_code == 200
    assert api.get(f"{THREADS}{thread.pk}/").status_code == 200
    assert api.get(f"{THREADS}{thread.pk}/posts/").json()["count"] == 1
    assert client_for(outsider).get(f"{THREADS}{thread.pk}/").status_code == 200
    # Reading is not writing: the outsider may not reply.
    response = client_for(outsider).post(f"{THREADS}{thread.pk}/posts/", {"body": "Hallo"})
    assert response.status_code == 403
    assert response.json()["code"] == "members_only"


def test_private_thread_is_404_to_a_signed_in_non_member(make_thread, outsider) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    client = client_for(outsider)
    assert client.get(f"{THREADS}{thread.pk}/").status_code == 404
    assert client.get(f"{THREADS}{thread.pk}/posts/").status_code == 404
    assert client.get(THREADS).json()["count"] == 0
    response = client.post(f"{THREADS}{thread.pk}/posts/", {"body": "x"})
    assert response.status_code in (403, 404)
    assert client.post(f"/api/v1/posts/{thread.first_post_id}/helpful/").status_code in (403, 404)


def test_experts_and_other_municipalities_are_members(make_thread, answerer, member_expert) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    for user in (answerer, member_expert):
        response = client_for(user).post(f"{THREADS}{thread.pk}/posts/", {"body": "Antwort"})
        assert response.status_code == 201
    thread.refresh_from_db()
    assert thread.post_count == 3


def test_hidden_thread_is_404_to_members_but_not_to_coordinators(
    make_thread, answerer, coord
) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    client_for(coord).post(f"{THREADS}{thread.pk}/moderate/", {"action": "hide"}, format="json")
    assert client_for(answerer).get(f"{THREADS}{thread.pk}/").status_code == 404
    assert client_for(coord).get(f"{THREADS}{thread.pk}/").json()["hidden"] is True


def test_list_filters_by_topic(make_thread, asker) -> None:  # type: ignore[no-untyped-def]
    make_thread(topic="youth-school")
    make_thread(title="Haushaltsrecht und Bürgerhaushalt", topic="budget-law")
    data = client_for(asker).get(THREADS, {"topic": "budget-law"}).json()
    assert [t["topic"] for t in data["results"]] == ["budget-law"]
    assert set(data) == {"count", "next", "previous", "results"}


def test_search_longer_than_500_characters_is_a_400(asker) -> None:  # type: ignore[no-untyped-def]
    response = client_for(asker).get(THREADS, {"search": "Jugend " * 100})
    assert response.status_code == 400
    assert "q" in response.json()["fields"] or "search" in response.json()["fields"]


def test_reply_with_quote_of_another_threads_post_is_a_400(make_thread, answerer) -> None:  # type: ignore[no-untyped-def]
    one, other = make_thread(), make_thread(title="Anderes Thema")
    client = client_for(answerer)
    response = client.post(
        f"{THREADS}{one.pk}/posts/", {"body": "Genau", "quote": other.first_post_id}, format="json"
    )
    assert response.status_code == 400
    assert "quote" in response.json()["fields"]
    response = client.post(
        f"{THREADS}{one.pk}/posts/", {"body": "Genau", "quote": one.first_post_id}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["quote"] == one.first_post_id


def test_only_the_asker_or_a_coordinator_marks_the_solution(
    make_thread, asker, answerer, coord
) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    answer = forum.reply(user=answerer, thread_id=thread.pk, body="So geht es.")
    url = f"{THREADS}{thread.pk}/solve/"
    response = client_for(answerer).post(url, {"post": answer.pk}, format="json")
    assert response.status_code == 403
    _error_shape(response)
    response = client_for(asker).post(url, {"post": answer.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["solved_post"] == answer.pk
    # The opening post is not an answer; a post of another thread is not one either.
    response = client_for(asker).post(url, {"post": thread.first_post_id}, format="json")
    assert response.status_code == 400
    response = client_for(coord).post(url, {"post": None}, format="json")
    assert response.status_code == 200
    assert response.json()["solved_post"] is None


def test_a_discussion_cannot_be_solved(make_thread, asker, answerer) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread(kind=Thread.Kind.DISCUSSION)
    answer = forum.reply(user=answerer, thread_id=thread.pk, body="Meinung")
    response = client_for(asker).post(
        f"{THREADS}{thread.pk}/solve/", {"post": answer.pk}, format="json"
    )
    assert response.status_code == 409


def test_helpful_counts_one_vote_per_person(make_thread, answerer, member_expert, asker) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    answer = forum.reply(user=answerer, thread_id=thread.pk, body="So geht es.")
    url = f"/api/v1/posts/{answer.pk}/helpful/"
    for _ in range(3):
        response = client_for(asker).post(url)
        assert response.status_code == 200
    assert response.json()["helpful_count"] == 1
    assert response.json()["helpful_by_me"] is True
    client_for(member_expert).post(url)
    assert HelpfulVote.objects.filter(post=answer).count() == 2
    own = client_for(answerer).post(url)
    assert own.status_code == 400
    assert own.json()["code"] == "own_post"


def test_locked_thread_refuses_replies_with_409(make_thread, answerer, coord) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    client_for(coord).post(f"{THREADS}{thread.pk}/moderate/", {"action": "lock"}, format="json")
    response = client_for(answerer).post(f"{THREADS}{thread.pk}/posts/", {"body": "Noch was"})
    assert response.status_code == 409
    assert response.json()["code"] == "thread_locked"


def test_ids_beyond_a_bigint_are_404_not_500(asker) -> None:  # type: ignore[no-untyped-def]
    client = client_for(asker)
    assert client.get(f"{THREADS}99999999999999999999/").status_code == 404
    response = client.post(f"{THREADS}1/posts/", {"body": "x", "quote": 2**64}, format="json")
    assert response.status_code in (400, 404)


def test_thread_list_query_count_is_constant(
    make_thread, asker, answerer, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(asker)
    make_thread()
    few = _count(client, THREADS)
    for n in range(15):
        thread = make_thread(title=f"Thema {n}", user=answerer if n % 2 else asker)
        forum.reply(user=answerer, thread_id=thread.pk, body="Antwort")
    with django_assert_num_queries(few):
        assert len(client.get(THREADS).json()["results"]) == 16
    with django_assert_num_queries(few):
        assert client.get(THREADS, {"search": "Thema"}).status_code == 200


def test_posts_list_query_count_is_constant(
    make_thread, asker, answerer, member_expert, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    client = client_for(asker)
    url = f"{THREADS}{thread.pk}/posts/?page_size=200"
    forum.reply(user=answerer, thread_id=thread.pk, body="Antwort", quote_id=thread.first_post_id)
    few = _count(client, url)
    for n in range(30):
        forum.reply(
            user=member_expert if n % 2 else answerer,
            thread_id=thread.pk,
            body=f"Antwort {n}",
            quote_id=thread.first_post_id,
        )
    with django_assert_num_queries(few):
        assert client.get(url).json()["count"] == 32


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)
