"""Coordinator admin of the outbox: what went out, what failed and why, and "erneut senden"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications import delivery
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "recipient",
        "kind",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("recipient",)
    date_hierarchy = "created_at"
    list_per_page = 100
    actions = ["resend"]
    # Outbox rows are written by services only; here they are read and re-sent, not edited.
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    @admin.action(description=_("erneut senden"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        requeued = sum(delivery.resend(pk) for pk in ids)
        self.message_user(
            request,
            ngettext(
                "%(count)d Benachrichtigung wird erneut gesendet.",
                "%(count)d Benachrichtigungen werden erneut gesendet.",
                requeued,
            )
            % {"count": requeued},
            messages.SUCCESS,
        )
        if skipped := len(ids) - requeued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d war nicht fehlgeschlagen und bleibt unverändert.",
                    "%(count)d waren nicht fehlgeschlagen und bleiben unverändert.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
