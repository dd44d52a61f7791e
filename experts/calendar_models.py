"""An expert's own calendars (iCal address or CalDAV account) and the busy time read from them."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CalendarConnection(models.Model):
    """One connected calendar; the password is stored Fernet-encrypted (experts/calendars.py)."""

    class Kind(models.TextChoices):
        ICS = "ics", _("iCal-Adresse (Abonnement)")
        CALDAV = "caldav", _("CalDAV-Konto")

    expert = models.ForeignKey(
        "experts.ExpertProfile", on_delete=models.CASCADE, related_name="calendars"
    )
    kind = models.CharField(_("Art"), max_length=6, choices=Kind.choices)
    url = models.URLField(_("Adresse"), max_length=2000)
    username = models.CharField(_("Benutzername"), max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    # CalDAV: the calendar collection read and written (found from ``url`` on the first sync).
    calendar_url = models.URLField(max_length=2000, blank=True)
    calendar_name = models.CharField(_("Kalender"), max_length=200, blank=True)
    write_bookings = models.BooleanField(_("Beratungen in diesen Kalender eintragen"), default=True)
    # iCal: the validators of the last 200 answer, sent back as If-None-Match/If-Modified-Since.
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    synced_until = models.DateTimeField(null=True, blank=True)
    last_synced = models.DateTimeField(_("zuletzt abgeglichen"), null=True, blank=True)
    last_success = models.DateTimeField(_("zuletzt erfolgreich"), null=True, blank=True)
    last_error = models.CharField(_("letzter Fehler"), max_length=500, blank=True)
    last_error_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["ics", "caldav"]), name="calendar_connection_kind"
            ),
        ]
        indexes = [models.Index(fields=["last_synced"], name="calendar_connection_synced")]
        verbose_name = _("Kalender")
        verbose_name_plural = _("Kalender")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.calendar_name or self.url[:60]}"


class BusyInterval(models.Model):
    """A busy span read from a connected calendar (UTC); replaced as a whole on each sync."""

    connection = models.ForeignKey(
        CalendarConnection, on_delete=models.CASCADE, related_name="busy"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="busy_interval_span"
            )
        ]
        indexes = [models.Index(fields=["connection", "start"], name="busy_interval_start")]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"
