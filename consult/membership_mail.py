"""The one place where membership, people and expert-pool e-mails are handed to the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import translation

from core.roles import coordinators
from notifications.services import Recipient, send

NOTICE = "notifications/email/notice"


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
    send(
        kind=kind,
        template=NOTICE,
        recipients=[
            Recipient(
                email=recipient,
                dedup_key=dedup_key,
                name=recipient_name,
                language=language,
                values={"recipient_name": recipient_name},
            )
        ],
        context=_notice(subject, paragraphs, action_url, action_label),
    )


def notify_coordinators(
    *,
    kind: str,
    dedup_key: str,
    subject: str,
    paragraphs: Sequence[str],
    action_url: str = "",
    action_label: str = "",
) -> int:
    """One German notice to every coordinator (texts translated by the caller under
    `translation.override("de")`); each row's key is ``dedup_key:<user id>``. Returns how many."""
    users = list(coordinators())
    if users:
        with translation.override("de"):
            send(
                kind=kind,
                template=NOTICE,
                recipients=[
                    Recipient(
                        email=user.email,
                        dedup_key=f"{dedup_key}:{user.pk}",
                        name=(name := user.get_full_name() or user.get_username()),
                        language="de",
                        values={"recipient_name": name},
                    )
                    for user in users
                ],
                context=_notice(subject, paragraphs, action_url, action_label),
            )
    return len(users)


def _notice(
    subject: str, paragraphs: Sequence[str], action_url: str, action_label: str
) -> dict[str, object]:
    return {
        "subject": subject,
        "paragraphs": list(paragraphs),
        "action_url": action_url,
        "action_label": action_label,
    }
