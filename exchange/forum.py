"""Writing in the forum: threads, replies with quotes and attachments, solving and "helpful".

Each function checks who may do it, writes in one transaction and leaves the notifications it
causes in the outbox in the same transaction (exchange/following.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from consult.models import Topic
from core.errors import Conflict, FieldErrors, Forbidden, Invalid
from core.roles import is_coordinator, municipality_id_of
from core.uploads import display_name, stored_name
from exchange import debates, following, markdown, search, selectors
from exchange.access import require_member
from exchange.files import check_attachments
from exchange.limits import check_post_rate
from exchange.models import Attachment, HelpfulVote, Post, PostRevision, Thread

MAX_BODY = 20_000
MAX_TITLE = 200


def _check_text(*, title: str | None, body: str) -> None:
    errors = FieldErrors()
    if title is not None and not title.strip():
        errors.add("title", _("Bitte einen Titel angeben."))
    if title is not None and len(title) > MAX_TITLE:
        errors.add("title", _("Höchstens %(n)s Zeichen.") % {"n": MAX_TITLE})
    if not body.strip():
        errors.add("body", _("Bitte einen Text schreiben."))
    if len(body) > MAX_BODY:
        errors.add("body", _("Höchstens %(n)s Zeichen.") % {"n": MAX_BODY})
    errors.raise_if_any()


def _new_post(
    *, thread: Thread, user: Any, body: str, quote: Post | None, uploads: Sequence[UploadedFile]
) -> Post:
    post = Post.objects.create(
        thread=thread,
        author=user,
        organisation_id=municipality_id_of(user),
        body=body,
        body_html=markdown.render(body),
        quote=quote,
        search_text=search.stems(body),
    )
    for upload, found in zip(uploads, check_attachments(list(uploads)), strict=True):
        attachment = Attachment(
            post=post,
            name=display_name(upload.name),
            content_type=found.content_type,
            size=upload.size or 0,
        )
        attachment.file.save(stored_name(found), upload, save=False)
        attachment.save()
    return post


@transaction.atomic
def create_thread(
    *,
    user: Any,
    title: str,
    body: str,
    topic_slug: str,
    kind: str = Thread.Kind.DISCUSSION,
    uploads: Sequence[UploadedFile] = (),
    now: dt.datetime | None = None,
) -> Thread:
    require_member(user)
    _check_text(title=title, body=body)
    if kind not in Thread.Kind.values:
        raise Invalid(_("Unbekannte Art."), fields={"kind": [_("Unbekannte Art.")]})
    topic = Topic.objects.filter(slug=topic_slug).first()
    if topic is None:
        raise Invalid(_("Unbekanntes Thema."), fields={"topic": [_("Unbekanntes Thema.")]})
    check_attachments(list(uploads))
    check_post_rate(user, now=now)
    now = now or timezone.now()
    title = " ".join(title.split())
    thread = Thread.objects.create(
        title=title,
        topic=topic,
        kind=kind,
        author=user,
        organisation_id=municipality_id_of(user),
        post_count=1,
        last_post_at=now,
        search_text=search.stems(title),
    )
    post = _new_post(thread=thread, user=user, body=body, quote=None, uploads=uploads)
    thread.first_post = post
    thread.save(update_fields=["first_post"])
    following.follow_thread(user=user, thread=thread)
    following.on_new_post(post=post, thread=thread, new_thread=True)
    return thread


def _open_thread(*, user: Any, thread_id: int) -> Thread:
    thread = selectors.thread_for(user=user, thread_id=thread_id)
    if thread.locked and not is_coordinator(user):
        raise Conflict(_("Dieses Thema ist gesperrt."), code="thread_locked")
    return thread


@transaction.atomic
def reply(
    *,
    user: Any,
    thread_id: int,
    body: str,
    quote_id: int | None = None,
    uploads: Sequence[UploadedFile] = (),
    now: dt.datetime | None = None,
) -> Post:
    require_member(user)
    thread = _open_thread(user=user, thread_id=thread_id)
    debates.check_open_for_posts(thread=thread, now=now)
    _check_text(title=None, body=body)
    quote = None
    if quote_id is not None:
        quote = Post.objects.filter(pk=quote_id, thread=thread, hidden=False).first()
        if quote is None:
            message = _("Der zitierte Beitrag gehört nicht zu diesem Thema.")
            raise Invalid(message, fields={"quote": [message]})
    check_attachments(list(uploads))
    check_post_rate(user, now=now)
    post = _new_post(thread=thread, user=user, body=body, quote=quote, uploads=uploads)
    Thread.objects.filter(pk=thread.pk).update(
        post_count=F("post_count") + 1, last_post_at=now or timezone.now()
    )
    following.follow_thread(user=user, thread=thread)
    following.on_new_post(post=post, thread=thread, new_thread=False)
    return post


@transaction.atomic
def solve(*, user: Any, thread_id: int, post_id: int | None) -> Thread:
    """The asker (or a coordinator) marks the post that answered a question; None unmarks."""
    thread = selectors.thread_for(user=user, thread_id=thread_id)
    if thread.author_id != user.pk and not is_coordinator(user):
        raise Forbidden(
            _("Nur wer gefragt hat, markiert die hilfreichste Antwort."), code="not_asker"
        )
    if thread.kind != Thread.Kind.QUESTION:
        raise Conflict(_("Nur Fragen werden als gelöst markiert."), code="not_a_question")
    post = None
    if post_id is not None:
        post = Post.objects.filter(pk=post_id, thread=thread, hidden=False).first()
        if post is None or post.pk == thread.first_post_id:
            message = _("Diese Antwort gehört nicht zu diesem Thema.")
            raise Invalid(message, fields={"post": [message]})
    thread.solved_post = post
    thread.save(update_fields=["solved_post", "updated_at"])
    return thread


def mark_helpful(*, user: Any, post_id: int) -> Post:
    """One vote per person and post; voting again changes nothing."""
    require_member(user)
    post = selectors.post_for(user=user, post_id=post_id)
    if post.author_id == user.pk:
        raise Invalid(_("Eigene Beiträge lassen sich nicht bewerten."), code="own_post")
    try:
        with transaction.atomic():
            HelpfulVote.objects.create(post=post, user=user)
            Post.objects.filter(pk=post.pk).update(helpful_count=F("helpful_count") + 1)
    except IntegrityError:
        pass  # already voted: the unique constraint settled it
    post.refresh_from_db(fields=["helpful_count"])
    return post


def apply_edit(*, post: Post, editor: Any, body: str, now: dt.datetime | None = None) -> Post:
    """Keep the old text as a revision, then store and render the new one (caller's atomic)."""
    _check_text(title=None, body=body)
    if body == post.body:
        return post
    PostRevision.objects.create(post=post, body=post.body, edited_by=editor)
    post.body = body
    post.body_html = markdown.render(body)
    post.search_text = search.stems(body)
    post.edited_at = now or timezone.now()
    post.save(update_fields=["body", "body_html", "search_text", "edited_at"])
    return post


@transaction.atomic
def edit_own_post(*, user: Any, post_id: int, body: str) -> Post:
    require_member(user)
    post = selectors.post_for(user=user, post_id=post_id)
    if post.author_id != user.pk:
        raise Forbidden(_("Nur eigene Beiträge lassen sich bearbeiten."), code="not_author")
    if post.thread.locked:
        raise Conflict(_("Dieses Thema ist gesperrt."), code="thread_locked")
    return apply_edit(post=post, editor=user, body=body)
