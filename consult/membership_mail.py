"""The one place where membership and people e-mails enter the outbox (easy to switch when
notifications/ grows a single entry point)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import translation

from notifications.services import queue_notification, render_message


def send_notice(
    *,
    recipient: str,
    recipient_name: str,
    language: str,
    kind: str,
    dedup_key: str,
    subject: str,
    paragraphs: Sequence[str],
    action_url: str = "",
    action_label: str = "",
) -> None:
    """Queue one plain notice (subject, paragraphs, one button) in the caller's transaction.

    Texts are translated by the caller inside `translation.override(language)`.
    """
    with translation.override(language):
        message = render_message(
            "notifications/email/notice",
            {
                "subject": subject,
                "paragraphs": list(paragraphs),
                "action_url": action_url,
                "action_label": action_label,
                "recipient_name": recipient_name,
            },
            language=language,
        )
    queue_notification(
        recipient=recipient,
        recipient_name=recipient_name,
        kind=kind,
        dedup_key=dedup_key,
        message=message,
        language=language,
    )
