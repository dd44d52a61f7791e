"""Moderation: any member reports a post; coordinators hide, lock, move, publish and edit.
Every coordinator action is a row of the audit trail (ModerationAction)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consult.models import Topic
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.roles import is_coordinator
from exchange import forum, selectors
from exchange.access import require_member
from exchange.limits import REPORTS_PER_HOUR, check
from exchange.models import ModerationAction, Post, PostReport, Thread

Action = ModerationAction.Action
THREAD_ACTIONS = ("lock", "unlock", "hide", "show", "publish", "unpublish", "move")
POST_ACTIONS = ("hide", "show", "edit")


def _require_coordinator(user: Any) -> None:
    if not is_coordinator(user):
        raise Forbidden(_("Nur die Koordination moderiert."), code="coordinators_only")


def report_post(*, user: Any, post_id: int, reason: str) -> PostReport:
    require_member(user)
    reason = reason.strip()
    if not reason:
        message = _("Bitte nennen Sie einen Grund.")
        raise Invalid(message, fields={"reason": [message]})
    post = selectors.post_for(user=user, post_id=post_id)
    check(REPORTS_PER_HOUR, user)
    try:
        with transaction.atomic():
            return PostReport.objects.create(post=post, reporter=user, reason=reason[:2000])
    except IntegrityError:
        raise Conflict(
            _("Sie haben diesen Beitrag schon gemeldet."), code="already_reported"
        ) from None


def _log(
    actor: Any, action: str, *, thread: Thread, post: Post | None = None, detail: str = ""
) -> None:
    ModerationAction.objects.create(
        actor=actor, action=action, thread=thread, post=post, detail=detail[:500]
    )


@transaction.atomic
def moderate_thread(
    *, user: Any, thread_id: int, action: str, topic_slug: str = "", reason: str = ""
) -> Thread:
    _require_coordinator(user)
    try:
        thread = Thread.objects.select_for_update(of=("self",)).get(pk=thread_id)
    except Thread.DoesNotExist:
        raise NotFound(_("Dieses Thema gibt es nicht.")) from None
    changes = {
        "lock": ("locked", True, Action.LOCK),
        "unlock": ("locked", False, Action.UNLOCK),
        "hide": ("hidden", True, Action.HIDE_THREAD),
        "show": ("hidden", False, Action.SHOW_THREAD),
        "publish": ("public", True, Action.PUBLISH),
        "unpublish": ("public", False, Action.UNPUBLISH),
    }
    if action == "move":
        topic = Topic.objects.filter(slug=topic_slug).first()
        if topic is None:
            raise Invalid(_("Unbekanntes Thema."), fields={"topic": [_("Unbekanntes Thema.")]})
        detail = f"{thread.topic.slug} → {topic.slug}"
        thread.topic = topic
        thread.save(update_fields=["topic", "updated_at"])
        _log(user, Action.MOVE, thread=thread, detail=" ".join([detail, reason]).strip())
        return thread
    if action not in changes:
        raise Invalid(_("Unbekannte Aktion."), fields={"action": [_("Unbekannte Aktion.")]})
    field, value, logged = changes[action]
    setattr(thread, field, value)
    thread.save(update_fields=[field, "updated_at"])
    _log(user, logged, thread=thread, detail=reason)
    return thread


@transaction.atomic
def moderate_post(
    *, user: Any, post_id: int, action: str, body: str = "", reason: str = ""
) -> Post:
    _require_coordinator(user)
    post = selectors.post_for(user=user, post_id=post_id)
    if action == "edit":
        forum.apply_edit(post=post, editor=user, body=body)
        _log(user, Action.EDIT_POST, thread=post.thread, post=post, detail=reason)
        return post
    if action not in ("hide", "show"):
        raise Invalid(_("Unbekannte Aktion."), fields={"action": [_("Unbekannte Aktion.")]})
    if post.pk == post.thread.first_post_id and action == "hide":
        raise Conflict(
            _("Der erste Beitrag trägt das Thema: bitte das Thema ausblenden."),
            code="first_post",
        )
    post.hidden = action == "hide"
    post.save(update_fields=["hidden"])
    if post.hidden and post.thread.solved_post_id == post.pk:
        Thread.objects.filter(pk=post.thread_id).update(solved_post=None)
    _log(
        user,
        Action.HIDE_POST if post.hidden else Action.SHOW_POST,
        thread=post.thread,
        post=post,
        detail=reason,
    )
    if post.hidden:
        PostReport.objects.filter(post=post, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=user
        )
    return post


@transaction.atomic
def resolve_report(*, user: Any, report_id: int) -> PostReport:
    _require_coordinator(user)
    report = PostReport.objects.select_related("post__thread").filter(pk=report_id).first()
    if report is None:
        raise NotFound(_("Diese Meldung gibt es nicht."))
    if report.resolved_at is None:
        report.resolved_at = timezone.now()
        report.resolved_by = user
        report.save(update_fields=["resolved_at", "resolved_by"])
        _log(user, Action.RESOLVE_REPORT, thread=report.post.thread, post=report.post)
    return report
