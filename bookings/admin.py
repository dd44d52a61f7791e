"""Coordinator admin of consultation bookings (read-mostly: transitions go through services)."""

from __future__ import annotations

from django.contrib import admin

from bookings.models import ConsultationBooking


@admin.register(ConsultationBooking)
class ConsultationBookingAdmin(admin.ModelAdmin):
    list_display = ["start", "expert", "request", "status", "format", "sequence", "rating"]
    list_filter = ["status", "format"]
    date_hierarchy = "start"
    search_fields = ["expert__display_name", "request__plan__municipality__name", "uid"]
    list_select_related = ["expert", "request__plan__municipality"]
    raw_id_fields = ["request", "expert", "created_by"]
    # Times, state and calendar identity change only through bookings.services, which keeps
    # invariant 1, the outbox and the iCalendar SEQUENCE right; the admin shows them.
    readonly_fields = [
        "start",
        "end",
        "blocked_start",
        "blocked_end",
        "status",
        "hold_expires_at",
        "uid",
        "sequence",
        "rating",
        "feedback_comment",
        "created_by",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
