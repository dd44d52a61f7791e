"""The outbox: every message the service sends is first a row here, written with the change."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("wartet")
        SENDING = "sending", _("wird gesendet")
        SENT = "sent", _("gesendet")
        FAILED = "failed", _("fehlgeschlagen")

    recipient = models.EmailField(_("Empfänger*in"))
    recipient_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(_("Art"), max_length=60)
    language = models.CharField(max_length=8, default="de")
    subject = models.CharField(_("Betreff"), max_length=250)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # The iCalendar invitation (RFC 5546), and its METHOD for the text/calendar part.
    ics = models.TextField(blank=True)
    ics_method = models.CharField(max_length=16, blank=True)
    # Extra headers a sender needs (List-Unsubscribe, RFC 8058); only names in
    # notifications.email.EXTRA_HEADERS are sent.
    headers = models.JSONField(default=dict, db_default={}, blank=True)
    dedup_key = models.CharField(max_length=200, unique=True)
    # db_default too: the bulk upsert's RETURNING then brings each row's status back (a new row
    # pending, an existing one as it is), so queue_many needs no second query to tell them apart.
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # While "sending", the claim holds until then; a worker that died frees it by expiring.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=250, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Benachrichtigung")
        verbose_name_plural = _("Benachrichtigungen")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient} ({self.status})"
