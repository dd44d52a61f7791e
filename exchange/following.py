"""Following threads and topics, and the e-mails that follow from it: at once or in a daily
digest (the person's choice), `@name` mentions, and one-click unsubscribe (RFC 8058).

Every e-mail leaves through `notifications.services.send_many`, in each person's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consult.models import Topic
from core.errors import Invalid, NotFound
from core.preferences import language_of
from core.roles import COORDINATOR
from exchange import markdown
from exchange.models import DigestEntry, FollowSettings, Post, Subscription, Thread
from notifications.services import Message, send_many
from notifications.services import Recipient as OutboxRecipient

Delivery = FollowSettings.Delivery
UNSUBSCRIBE_SALT = "exchange.unsubscribe"
MAX_MENTIONS = 20
DIGEST_USERS_PER_BATCH = 500
TEMPLATE = "notifications/email/notice"


# --- following --------------------------------------------------------------------------------


def follow_thread(*, user: Any, thread: Thread) -> None:
    Subscription.objects.get_or_create(user=user, thread=thread)


def unfollow_thread(*, user: Any, thread_id: int) -> None:
    Subscription.objects.filter(user=user, thread_id=thread_id).delete()


def follow_topic(*, user: Any, topic_slug: str) -> Topic:
    topic = Topic.objects.filter(slug=topic_slug).first()
    if topic is None:
        raise NotFound(_("Dieses Thema gibt es nicht."))
    Subscription.objects.get_or_create(user=user, topic=topic)
    return topic


def unfollow_topic(*, user: Any, topic_slug: str) -> None:
    Subscription.objects.filter(user=user, topic__slug=topic_slug).delete()


def set_delivery(*, user: Any, delivery: str) -> FollowSettings:
    if delivery not in Delivery.values:
        raise Invalid(_("Unbekannte Auswahl."), fields={"delivery": [_("Unbekannte Auswahl.")]})
    row, _created = FollowSettings.objects.update_or_create(
        user=user, defaults={"delivery": delivery}
    )
    return row


def delivery_of(user: Any) -> str:
    row = FollowSettings.objects.filter(user=user).first()
    return row.delivery if row else Delivery.IMMEDIATE


# --- unsubscribe ------------------------------------------------------------------------------


def unsubscribe_token(*, user_id: int, kind: str, target_id: int | None = None) -> str:
    """A signed, lasting token: `kind` is "thread", "topic" or "all" (no forum e-mails)."""
    return signing.dumps({"u": user_id, "k": kind, "id": target_id}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(token: str) -> str:
    return settings.SITE_URL + reverse("exchange:unsubscribe", args=[token])


def read_token(token: str) -> dict[str, Any]:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise NotFound(_("Dieser Abmeldelink ist ungültig.")) from None
    if not isinstance(data, dict) or data.get("k") not in ("thread", "topic", "all"):
        raise NotFound(_("Dieser Abmeldelink ist ungültig."))
    return data


@transaction.atomic
def unsubscribe(*, token: str) -> dict[str, Any]:
    """Carry out a one-click unsubscribe; running it twice changes nothing more."""
    data = read_token(token)
    user_id, kind, target = data["u"], data["k"], data.get("id")
    if kind == "thread":
        Subscription.objects.filter(user_id=user_id, thread_id=target).delete()
    elif kind == "topic":
        Subscription.objects.filter(user_id=user_id, topic_id=target).delete()
    else:
        FollowSettings.objects.update_or_create(
            user_id=user_id, defaults={"delivery": Delivery.NONE}
        )
        DigestEntry.objects.filter(user_id=user_id).delete()
    return data


def _headers(token: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# --- who hears of a new post ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    user: Any
    reason: str  # "mention", "thread" or "topic"


def _members(user_ids: Iterable[int]) -> dict[int, Any]:
    """The active members among `user_ids` with an address, with their follow settings."""
    ids = set(user_ids)
    if not ids:
        return {}
    users = (
        get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .exclude(email="")
        .filter(
            Q(is_superuser=True)
            | Q(groups__name=COORDINATOR)
            | Q(municipal_staff__isnull=False)
            | Q(expert_profile__isnull=False)
        )
        .select_related("forum_follow", "account_preference")
        .distinct()
    )
    return {user.pk: user for user in users}


def _mentioned_ids(body: str) -> list[int]:
    names = markdown.mentioned_names(body)[:MAX_MENTIONS]
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    return list(get_user_model().objects.filter(query).values_list("pk", flat=True))


def recipients_of(*, post: Post, thread: Thread, new_thread: bool) -> list[Recipient]:
    reasons: dict[int, str] = {}
    for user_id in _mentioned_ids(post.body):
        reasons.setdefault(user_id, "mention")
    for user_id in Subscription.objects.filter(thread=thread).values_list("user_id", flat=True):
        reasons.setdefault(user_id, "thread")
    if new_thread:
        topic_followers = Subscription.objects.filter(topic_id=thread.topic_id)
        for user_id in topic_followers.values_list("user_id", flat=True):
            reasons.setdefault(user_id, "topic")
    reasons.pop(post.author_id, None)
    members = _members(reasons)
    # A thread readable by members only reaches members only; so does every other one here.
    return [Recipient(members[uid], reason) for uid, reason in reasons.items() if uid in members]


def _delivery(user: Any) -> str:
    try:
        return user.forum_follow.delivery
    except FollowSettings.DoesNotExist:
        return Delivery.IMMEDIATE


def thread_url(thread_id: int, post_id: int | None = None) -> str:
    url = settings.SITE_URL + reverse("exchange:thread", args=[thread_id])
    return f"{url}#post-{post_id}" if post_id else url


def _author_name(user: Any) -> str:
    if user is None:
        return _("Ein Mitglied")
    return user.get_full_name() or user.get_username()


def _notice(*, subject: str, paragraphs: list[str], action_url: str, action_label: str) -> dict:
    return {
        "subject": subject,
        "paragraphs": paragraphs,
        "action_url": action_url,
        "action_label": action_label,
    }


def _message_context(*, post: Post, thread: Thread, reason: str, language: str) -> dict:
    """The shared context of one reason's e-mail, its text in `language`."""
    with translation.override(language):
        author = _author_name(post.author)
        if reason == "mention":
            subject = _("%(author)s hat Sie erwähnt: %(title)s")
            lead = _("%(author)s hat Sie im Forum erwähnt, im Thema „%(title)s“:")
        elif reason == "topic":
            subject = _("Neues Thema: %(title)s")
            lead = _("%(author)s hat im Forum ein neues Thema eröffnet: „%(title)s“.")
        else:
            subject = _("Neue Antwort: %(title)s")
            lead = _("%(author)s hat im Thema „%(title)s“ geantwortet:")
        values = {"author": author, "title": thread.title}
        return _notice(
            subject=subject % values,
            paragraphs=[
                lead % values,
                markdown.excerpt(post.body, 600),
                _("Benachrichtigungen verwalten: %(url)s")
                % {"url": settings.SITE_URL + reverse("exchange:following")},
            ],
            action_url=thread_url(thread.pk, post.pk),
            action_label=_("Zum Beitrag"),
        )


def _recipient(*, user: Any, dedup_key: str, token: str) -> OutboxRecipient:
    return OutboxRecipient(
        email=user.email,
        name=user.get_full_name(),
        language=language_of(user),
        dedup_key=dedup_key,
        headers=_headers(token),
    )


def on_new_post(*, post: Post, thread: Thread, new_thread: bool) -> int:
    """Notify followers, the asker and the mentioned of `post` (inside its transaction):
    an outbox row now, or a digest entry for those who chose the daily digest."""
    recipients = recipients_of(post=post, thread=thread, new_thread=new_thread)
    # One message per reason and language: each is rendered once, each person put in.
    groups: dict[tuple[str, str], list[OutboxRecipient]] = {}
    digest: list[DigestEntry] = []
    for recipient in recipients:
        delivery = _delivery(recipient.user)
        if delivery == Delivery.NONE:
            continue
        if delivery == Delivery.DIGEST and recipient.reason != "mention":
            digest.append(DigestEntry(user=recipient.user, post=post, reason=recipient.reason))
            continue
        if recipient.reason == "mention":
            token = unsubscribe_token(user_id=recipient.user.pk, kind="all")
        elif recipient.reason == "topic":
            token = unsubscribe_token(
                user_id=recipient.user.pk, kind="topic", target_id=thread.topic_id
            )
        else:
            token = unsubscribe_token(user_id=recipient.user.pk, kind="thread", target_id=thread.pk)
        groups.setdefault((recipient.reason, language_of(recipient.user)), []).append(
            _recipient(
                user=recipient.user,
                dedup_key=f"exchange-post:{post.pk}:{recipient.user.pk}",
                token=token,
            )
        )
    DigestEntry.objects.bulk_create(digest, ignore_conflicts=True)
    messages = [
        Message(
            kind=f"forum_{reason}",
            template=TEMPLATE,
            context=_message_context(post=post, thread=thread, reason=reason, language=language),
            recipients=people,
        )
        for (reason, language), people in groups.items()
    ]
    if messages:
        send_many(messages)
    return sum(len(people) for people in groups.values()) + len(digest)


# --- daily digest -----------------------------------------------------------------------------


def _digest_context(
    entries: list[DigestEntry], snippets: dict[tuple[str, int], str], language: str
) -> dict:
    """One reader's digest; `snippets` keeps each post's paragraph per language for the whole
    run (readers share posts: 5,000 readers of 2,000 posts need 2,000 excerpts, not 15,000)."""
    with translation.override(language):
        paragraphs = [_("Neues aus den Themen, denen Sie im Forum folgen:")]
        for entry in entries:
            post = entry.post
            key = (language, post.pk)
            if key not in snippets:
                snippets[key] = (
                    f"„{post.thread.title}“ – {_author_name(post.author)}:\n"
                    f"{markdown.excerpt(post.body, 280)}\n{thread_url(post.thread_id, post.pk)}"
                )
            paragraphs.append(snippets[key])
        paragraphs.append(
            _("Benachrichtigungen verwalten: %(url)s")
            % {"url": settings.SITE_URL + reverse("exchange:following")}
        )
        return _notice(
            subject=_("Forum: %(n)s neue Beiträge") % {"n": len(entries)},
            paragraphs=paragraphs,
            action_url=settings.SITE_URL + reverse("exchange:forum"),
            action_label=_("Zum Forum"),
        )


def send_digests(*, now: dt.datetime | None = None) -> int:
    """One e-mail per digest reader with what gathered since the last one; returns how many.

    Batches of readers, each batch in its own transaction: its outbox rows are written and its
    entries deleted together, so a crash halfway sends nobody twice and loses nobody's posts.
    """
    day = timezone.localdate(now or timezone.now())
    # Entries written while the run goes on wait for tomorrow's: the run always ends.
    last_id = DigestEntry.objects.aggregate(last=Max("id"))["last"] or 0
    pending = DigestEntry.objects.filter(id__lte=last_id)
    sent = 0
    snippets: dict[tuple[str, int], str] = {}
    while True:
        with transaction.atomic():
            user_ids = list(
                pending.order_by("user_id")
                .values_list("user_id", flat=True)
                .distinct()[:DIGEST_USERS_PER_BATCH]
            )
            if not user_ids:
                return sent
            members = _members(user_ids)
            entries = list(
                pending.filter(user_id__in=user_ids)
                .select_related("post__thread", "post__author")
                .filter(post__hidden=False, post__thread__hidden=False)
                .order_by("user_id", "id")
            )
            by_user: dict[int, list[DigestEntry]] = {}
            for entry in entries:
                by_user.setdefault(entry.user_id, []).append(entry)
            messages = [
                Message(
                    kind="forum_digest",
                    template=TEMPLATE,
                    context=_digest_context(found, snippets, language_of(members[user_id])),
                    recipients=[
                        _recipient(
                            user=members[user_id],
                            dedup_key=(
                                f"exchange-digest:{user_id}:{day.isoformat()}:{found[-1].pk}"
                            ),
                            token=unsubscribe_token(user_id=user_id, kind="all"),
                        )
                    ],
                )
                for user_id, found in by_user.items()
                if user_id in members
            ]
            if messages:
                send_many(messages)
            sent += len(messages)
            pending.filter(user_id__in=user_ids).delete()
