"""Following: replies reach followers and the asker, mentions notify, the digest gathers, and
every e-mail carries a one-click unsubscribe (RFC 8058) that works."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from exchange import following, forum
from exchange.models import DigestEntry, FollowSettings, Subscription
from notifications.models import Notification
from notifications.services import deliver
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_asker_and_answerer_are_notified_of_the_follow_up(make_thread, asker, answerer) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    forum.reply(user=answerer, thread_id=thread.pk, body="Fangen Sie klein an.")
    (to_asker,) = Notification.objects.filter(recipient=asker.email)
    assert to_asker.kind == "forum_thread"
    assert thread.title in to_asker.subject
    assert "Fangen Sie klein an." in to_asker.body_text
    forum.reply(user=asker, thread_id=thread.pk, body="Danke! Und wie viel Budget?")
    (to_answerer,) = Notification.objects.filter(recipient=answerer.email)
    assert "wie viel Budget" in to_answerer.body_text
    # Nobody hears of their own post.
    assert Notification.objects.filter(recipient=asker.email).count() == 1


def test_the_email_has_a_one_click_unsubscribe_that_works(
    make_thread, asker, answerer, client
) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    forum.reply(user=answerer, thread_id=thread.pk, body="Antwort")
    row = Notification.objects.get(recipient=asker.email)
    assert deliver(row.pk) == "sent"
    message = mail.outbox[-1].message()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("http") and "/austausch/abbestellen/" in url
    path = url.split("://", 1)[1].split("/", 1)[1]
    # A GET (a link scanner) changes nothing; the one-click POST without session or CSRF does.
    client.get(f"/{path}")
    assert Subscription.objects.filter(user=asker, thread=thread).exists()
    csrf_client = client.__class__(enforce_csrf_checks=True)
    response = csrf_client.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Subscription.objects.filter(user=asker, thread=thread).exists()
    forum.reply(user=answerer, thread_id=thread.pk, body="Noch eine Antwort")
    assert Notification.objects.filter(recipient=asker.email).count() == 1


def test_a_forged_unsubscribe_token_is_404(client) -> None:  # type: ignore[no-untyped-def]
    token = following.unsubscribe_token(user_id=1, kind="all")
    assert client.post(f"/austausch/abbestellen/{token[:-2]}xx/").status_code == 404


def test_mentions_notify_members_only(make_thread, asker, answerer, outsider) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    expert = factories.ExpertProfileFactory(user__username="anna.berg").user
    forum.reply(
        user=answerer,
        thread_id=thread.pk,
        body=f"@anna.berg kennt das, @{outsider.username} nicht. @niemand",
    )
    mentions = Notification.objects.filter(kind="forum_mention")
    assert [n.recipient for n in mentions] == [expert.email]
    assert not Notification.objects.filter(recipient=outsider.email).exists()


def test_topic_followers_hear_of_new_threads(make_thread, answerer) -> None:  # type: ignore[no-untyped-def]
    following.follow_topic(user=answerer, topic_slug="budget-law")
    make_thread(title="Haushaltssperre", topic="budget-law")
    make_thread(title="Anderes", topic="youth-school")
    (row,) = Notification.objects.filter(recipient=answerer.email)
    assert row.kind == "forum_topic"
    assert "Haushaltssperre" in row.subject


def test_digest_readers_get_one_daily_email(make_thread, asker, answerer, member_expert) -> None:  # type: ignore[no-untyped-def]
    following.set_delivery(user=asker, delivery=FollowSettings.Delivery.DIGEST)
    thread = make_thread()
    forum.reply(user=answerer, thread_id=thread.pk, body="Erste Antwort")
    forum.reply(user=member_expert, thread_id=thread.pk, body="Zweite Antwort")
    assert not Notification.objects.filter(recipient=asker.email).exists()
    assert DigestEntry.objects.filter(user=asker).count() == 2
    assert following.send_digests() == 1
    (digest,) = Notification.objects.filter(recipient=asker.email)
    assert digest.kind == "forum_digest"
    assert "Erste Antwort" in digest.body_text and "Zweite Antwort" in digest.body_text
    assert "List-Unsubscribe" in digest.headers
    assert not DigestEntry.objects.exists()
    assert following.send_digests() == 0  # nothing twice


def test_no_emails_means_none(make_thread, asker, answerer) -> None:  # type: ignore[no-untyped-def]
    following.set_delivery(user=asker, delivery=FollowSettings.Delivery.NONE)
    thread = make_thread()
    forum.reply(user=answerer, thread_id=thread.pk, body="Antwort")
    assert not Notification.objects.filter(recipient=asker.email).exists()
    assert not DigestEntry.objects.exists()


def test_digest_task_runs_the_service(make_thread, asker, answerer) -> None:  # type: ignore[no-untyped-def]
    from exchange.tasks import send_digests

    following.set_delivery(user=asker, delivery=FollowSettings.Delivery.DIGEST)
    forum.reply(user=answerer, thread_id=make_thread().pk, body="Antwort")
    assert send_digests.apply().get() == 1


def test_reply_and_its_notifications_commit_together(make_thread, asker, answerer) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    with pytest.raises(RuntimeError), transaction.atomic():
        forum.reply(user=answerer, thread_id=thread.pk, body="Antwort")
        raise RuntimeError("the request failed after the reply")
    assert not Notification.objects.exists()


def test_follow_api_and_page(make_thread, answerer, client) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread()
    api = client_for(answerer)
    assert api.post(f"/api/v1/threads/{thread.pk}/follow/").json() == {"following": True}
    assert Subscription.objects.filter(user=answerer, thread=thread).exists()
    assert api.delete(f"/api/v1/threads/{thread.pk}/follow/").json() == {"following": False}
    client.force_login(answerer)
    client.post("/austausch/folgen/", {"action": "delivery", "delivery": "digest"})
    assert following.delivery_of(answerer) == "digest"
    client.post("/austausch/folgen/", {"action": "follow-topic", "topic": "funding"})
    assert Subscription.objects.filter(user=answerer, topic__slug="funding").exists()
    assert "Fördermittel" in client.get("/austausch/folgen/").content.decode()


def test_each_person_gets_the_forum_email_in_their_own_language(
    make_thread, asker, answerer
) -> None:  # type: ignore[no-untyped-def]
    from core.preferences import set_language

    set_language(asker, "en")
    german = _settled_member("Dresden")
    thread = make_thread()
    following.follow_thread(user=german, thread=thread)
    forum.reply(user=answerer, thread_id=thread.pk, body="Fangen Sie klein an.")
    english_row = Notification.objects.get(recipient=asker.email)
    german_row = Notification.objects.get(recipient=german.email)
    assert english_row.language == "en" and english_row.subject.startswith("New reply")
    assert german_row.language == "de" and german_row.subject.startswith("Neue Antwort")
    # Both keep their own one-click unsubscribe.
    assert "List-Unsubscribe" in english_row.headers and "List-Unsubscribe" in german_row.headers
    assert english_row.headers["List-Unsubscribe"] != german_row.headers["List-Unsubscribe"]


def test_contact_request_email_reaches_staff_in_their_language(asker, answerer) -> None:  # type: ignore[no-untyped-def]
    from core.preferences import set_language
    from core.roles import municipality_id_of
    from exchange import contacts

    set_language(answerer, "en")
    contacts.send_contact_request(
        user=asker, to_organisation_id=municipality_id_of(answerer), message="Hallo Jena"
    )
    row = Notification.objects.get(recipient=answerer.email)
    assert row.language == "en" and row.subject.startswith("Contact request from")
    assert "Hallo Jena" in row.body_text


def _settled_member(name: str):  # type: ignore[no-untyped-def]
    return factories.staff_for(factories.MunicipalityFactory(name=name))
