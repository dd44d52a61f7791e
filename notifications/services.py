"""The one way into the outbox: ``send``/``send_many`` take plain data (recipients, template,
context, invitation), render and write the rows in the caller's transaction; delivery follows
after commit (notifications/delivery.py)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notifications import ics
from notifications.delivery import (  # noqa: F401 (the delivery use cases, by their old address)
    CHUNK,
    backoff,
    claim,
    deliver,
    deliver_many,
    due_ids,
    enqueue,
    resend,
    sweep,
)
from notifications.email import one_line
from notifications.models import Notification
from notifications.rendering import (  # noqa: F401 (re-exported: callers render through here)
    Rendered,
    _text_templates,
    render_each,
    render_message,
)

Status = Notification.Status


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipient:
    """One person a message goes to, and the values only their copy shows.

    ``values`` (name, link, place in line, ...) are put into the rendered message for this
    recipient alone; a template shows them as they are (``{{ link }}``). ``dedup_key`` makes
    the row idempotent: a key written before keeps its row.
    """

    email: str
    dedup_key: str
    name: str = ""
    language: str = "de"
    values: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Invite:
    """The calendar invitation a message carries, per language (RFC 5546, notifications/ics.py).

    ``personal``: each recipient is the one ATTENDEE of their copy (participants do not see
    each other); otherwise the invitation's own attendees are in every copy. ``sessions``: the
    session numbers that get a message each (one iTIP message per session, dedup key and
    subject marked with the number); None: one message for the one session. ``per_session``:
    context that differs by session number (a dropped session's times).
    """

    invitations: Mapping[str, ics.Invitation]
    personal: bool = False
    sessions: Sequence[int] | None = None
    per_session: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One template sent to ``recipients``; ``context`` is the same for all of them.

    ``reuse_key`` names everything ``context`` holds, so that the rendering is kept per process
    and reused by later messages with the same key (a registration rush).
    """

    kind: str
    template: str
    recipients: Sequence[Recipient]
    context: Mapping[str, Any] = field(default_factory=dict)
    invite: Invite | None = None
    reuse_key: Hashable | None = None
    send_after: datetime | None = None


def _language(code: str) -> str:
    return code if code in {c for c, _name in settings.LANGUAGES} else settings.LANGUAGE_CODE


def _session_subject(subject: str, number: int, total: int, language: str) -> str:
    if total == 1:
        return subject
    label = "session" if language == "en" else "Termin"
    return f"{subject} ({label} {number}/{total})"


def _attendee(recipient: Recipient) -> ics.Attendee | None:
    try:
        return ics.Attendee(recipient.email, recipient.name)
    except ValueError:  # an address iCalendar cannot carry: the message goes without it
        return None


class _Built:
    """Invitations built in one `send_many`, keyed by the invitation object and session: the
    messages of one change (the expert's and the municipality's) share one Invite, so each
    invitation is built once for all of them."""

    def __init__(self) -> None:
        self.prepared: dict[tuple[int, int], ics.PreparedInvitation] = {}
        self.shared_text: dict[tuple[int, int], str] = {}
        self._keep: list[ics.Invitation] = []  # ids stay unique while their objects live

    def prepare(self, inv: ics.Invitation, number: int) -> tuple[int, int]:
        at = (id(inv), number)
        if at not in self.prepared:
            self._keep.append(inv)
            self.prepared[at] = ics.prepare_invitation(inv, number)
        return at


def _rows(message: Message, built: _Built | None = None) -> list[Notification]:
    invite = message.invite
    people = [(_language(r.language), r) for r in message.recipients]
    numbers: Sequence[int] = [0]
    if invite is not None and invite.sessions is not None:
        numbers = list(invite.sessions)
    built = built or _Built()
    prepared, shared_text = built.prepared, built.shared_text
    rows: list[Notification] = []
    for number in numbers:
        context = {**message.context, **(invite.per_session.get(number, {}) if invite else {})}
        bodies = render_each(
            message.template,
            context,
            [(language, r.values) for language, r in people],
            reuse_key=(message.reuse_key, number) if message.reuse_key is not None else None,
        )
        for (language, recipient), body in zip(people, bodies, strict=True):
            text, subject, key = "", body.subject, recipient.dedup_key
            inv = invite.invitations.get(language) if invite else None
            attendee = _attendee(recipient) if inv and invite and invite.personal else None
            if inv is not None and (attendee is not None or not invite.personal):
                at = built.prepare(inv, number or 1)
                if attendee is not None:
                    text = prepared[at].text((attendee,))
                else:
                    if at not in shared_text:
                        shared_text[at] = prepared[at].text(inv.attendees)
                    text = shared_text[at]
                if number:
                    total = len(inv.sessions)
                    subject = _session_subject(subject, number, total, language)
                    key = f"{key}.s{number}"
            rows.append(
                Notification(
                    recipient=recipient.email,
                    recipient_name=recipient.name,
                    kind=message.kind,
                    language=language,
                    subject=subject,
                    body_text=body.text,
                    body_html=body.html,
                    ics=text,
                    ics_method=inv.method if text and inv else "",
                    dedup_key=key,
                    next_attempt_at=message.send_after or timezone.now(),
                    **({"headers": dict(recipient.headers)} if recipient.headers else {}),
                )
            )
    return rows


def send_many(messages: Iterable[Message]) -> list[int]:
    """Render and write ``messages`` in the caller's transaction, all in one bulk insert.

    Each template is rendered once per language (and session) and each recipient's values
    are put in; an invitation is built once per language and session and each attendee put in.
    Returns the ids of the rows waiting for delivery (enqueued after commit).
    """
    _require_transaction("send_many")
    built = _Built()
    return queue_many([row for message in messages for row in _rows(message, built)])


def send(
    *,
    kind: str,
    template: str,
    recipients: Sequence[Recipient],
    context: Mapping[str, Any] | None = None,
    invite: Invite | None = None,
    reuse_key: Hashable | None = None,
    send_after: datetime | None = None,
) -> list[int]:
    """One message to ``recipients``: ``send_many`` with one ``Message``."""
    return send_many(
        [
            Message(
                kind=kind,
                template=template,
                recipients=recipients,
                context=context or {},
                invite=invite,
                reuse_key=reuse_key,
                send_after=send_after,
            )
        ]
    )


def _require_transaction(name: str) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError(f"{name} must run inside the transaction of the change")


def queue_notification(
    *,
    recipient: str,
    kind: str,
    dedup_key: str,
    message: Rendered,
    recipient_name: str = "",
    language: str = "de",
    ics: str = "",
    ics_method: str = "",
    send_after: datetime | None = None,
) -> Notification:
    """Write one outbox row in the caller's transaction; delivery is enqueued once it commits.

    The dedup key makes the write idempotent: writing the same key twice keeps the first row.
    A ``send_after`` in the future leaves the row to the sweep (no far-future ETA in the broker).
    """
    _require_transaction("queue_notification")
    notification, created = Notification.objects.get_or_create(
        dedup_key=dedup_key[:200],
        defaults={
            "recipient": recipient.strip(),
            "recipient_name": one_line(recipient_name, 200),
            "kind": kind,
            "language": language,
            "subject": one_line(message.subject),
            "body_text": message.text,
            "body_html": message.html,
            "ics": ics,
            "ics_method": ics_method.upper(),
            "next_attempt_at": send_after or timezone.now(),
        },
    )
    if created and (send_after is None or send_after <= timezone.now()):
        from notifications.tasks import deliver_notification

        pk = notification.pk
        transaction.on_commit(lambda: enqueue(deliver_notification, [[pk]]))
    return notification


def queue_many(rows: Iterable[Notification]) -> list[int]:
    """Bulk outbox write for a fan-out (an event change to 2,000 participants).

    ``rows`` are unsaved ``Notification``s. One ``INSERT … ON CONFLICT (dedup_key) DO UPDATE``
    per 500 rows returns the id and status of new and already existing rows alike (the no-op
    update of the key is what makes PostgreSQL and SQLite return existing rows;
    ``ignore_conflicts`` returns nothing; the status comes back because it has a ``db_default``).
    Rows whose key exists keep their content and status. Returns the ids of the pending rows,
    which are delivered after commit by ``deliver_batch`` tasks of 100 ids.
    """
    _require_transaction("queue_many")
    unique: dict[str, Notification] = {}
    for row in rows:
        row.dedup_key = row.dedup_key[:200]
        row.recipient = row.recipient.strip()
        row.recipient_name = one_line(row.recipient_name, 200)
        row.subject = one_line(row.subject)
        row.ics_method = row.ics_method.upper()
        # PostgreSQL refuses to upsert one key twice in a statement; the first row wins.
        unique.setdefault(row.dedup_key, row)
    if not unique:
        return []
    written = Notification.objects.bulk_create(
        list(unique.values()),
        batch_size=500,
        update_conflicts=True,
        unique_fields=["dedup_key"],
        update_fields=["dedup_key"],
    )
    ids = sorted(row.pk for row in written if row.status == Status.PENDING)
    from notifications.tasks import deliver_batch

    chunks = [[ids[i : i + CHUNK]] for i in range(0, len(ids), CHUNK)]
    transaction.on_commit(lambda: enqueue(deliver_batch, chunks))
    return ids
