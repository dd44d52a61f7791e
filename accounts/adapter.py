"""allauth's hooks: sign-up closed, e-mails into the outbox in the account's language, links
to SITE_URL, and the client address as the rest of the service counts it."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from core.preferences import DEFAULT_LANGUAGE, language_of
from core.rate_limits import client_address
from notifications.services import Recipient, send


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts come from approved applications, invitations or a coordinator (invariant 6).
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_address(request)

    def format_email_subject(self, subject: str) -> str:
        return _("Netzwerk Bürgerhaushalt") + ": " + subject

    # Links in e-mails point to SITE_URL like every other message (not to the host name the
    # request happened to use).
    def get_reset_password_from_key_url(self, key: str) -> str:
        return _on_site(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return _on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Into the outbox (sent after commit, retried), in the account's language and the
        layout of every other message: allauth's subject and text go into the e-mail
        template ``accounts/email/account`` (plain text and HTML)."""
        user = context.get("user") or _only_account_with(email)
        language = language_of(user) if user is not None else _request_language()
        name = user.get_full_name() if user is not None else ""
        request = allauth_context.request
        context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            "site_url": settings.SITE_URL,
            "expiry_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
            **context,
        }
        with translation.override(language):
            subject = render_to_string(f"{template_prefix}_subject.txt", context).strip()
            subject = self.format_email_subject(" ".join(subject.splitlines()))
            body = render_to_string(f"{template_prefix}_message.txt", context, request).strip()
        with transaction.atomic():
            send(
                kind=f"account:{template_prefix.rsplit('/', 1)[-1]}",
                template="accounts/email/account",
                recipients=[
                    Recipient(
                        email=email,
                        # One message per call: a reset link is new every time.
                        dedup_key=f"account:{template_prefix}:{uuid.uuid4().hex}",
                        name=name,
                        language=language,
                        values={"recipient_name": name},
                    )
                ],
                context={"subject": subject, "body": body},
            )


def _on_site(url: str) -> str:
    parts = urlsplit(url)
    return settings.SITE_URL + urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def _only_account_with(email: str) -> Any:
    """The account an address belongs to, when it is exactly one (for its language)."""
    users = list(get_user_model().objects.filter(email__iexact=email)[:2])
    return users[0] if len(users) == 1 else None


def _request_language() -> str:
    language = translation.get_language() or DEFAULT_LANGUAGE
    return language if language in {"de", "en"} else DEFAULT_LANGUAGE
