"""Flood limits on writing in the forum: everybody, and tighter for new accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.rate_limits import RateLimit
from core.roles import is_coordinator
from exchange.access import RateLimited

POSTS_PER_WINDOW = RateLimit("forum-posts", limit=20, window=600)
CONTACT_REQUESTS_PER_DAY = RateLimit("contact-requests", limit=10, window=24 * 3600)
REPORTS_PER_HOUR = RateLimit("forum-reports", limit=20, window=3600)


def new_account_limit() -> RateLimit:
    return RateLimit(
        "forum-posts-new-account",
        limit=int(getattr(settings, "EXCHANGE_NEW_ACCOUNT_POSTS_PER_HOUR", 5)),
        window=3600,
    )


def is_new_account(user: Any, *, now: dt.datetime | None = None) -> bool:
    days = int(getattr(settings, "EXCHANGE_NEW_ACCOUNT_DAYS", 7))
    joined = getattr(user, "date_joined", None)
    return joined is not None and joined > (now or timezone.now()) - dt.timedelta(days=days)


def _refuse(wait: int) -> RateLimited:
    return RateLimited(
        _("Zu viele Beiträge in kurzer Zeit. Bitte in %(s)s Sekunden noch einmal versuchen.")
        % {"s": wait},
        retry_after=wait,
    )


def check_post_rate(user: Any, *, now: dt.datetime | None = None) -> None:
    """Count one post by `user`; RateLimited (429) beyond the limits. Coordinators are exempt."""
    if is_coordinator(user):
        return
    key = str(user.pk)
    if is_new_account(user, now=now) and (wait := new_account_limit().hit(key)):
        raise _refuse(wait)
    if wait := POSTS_PER_WINDOW.hit(key):
        raise _refuse(wait)


def check(limit: RateLimit, user: Any) -> None:
    if wait := limit.hit(str(user.pk)):
        raise RateLimited(
            _("Zu viele Versuche. Bitte in %(s)s Sekunden noch einmal versuchen.") % {"s": wait},
            retry_after=wait,
        )
