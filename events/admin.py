"""Coordinator admin of events and registrations.

Seats, status and SEQUENCE change only through the API's services (they lock, promote the
waiting list and send calendar updates), so the admin shows them read-only once an event
exists; registrations are read-only here.
"""

from __future__ import annotations

from django.contrib import admin

from events.models import Event, EventSession, Registration


class EventSessionInline(admin.TabularInline):
    model = EventSession
    extra = 1

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        # Moving a session must send updated invitations: that is the API's job.
        return obj is None or obj.status == Event.Status.DRAFT

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None or obj.status == Event.Status.DRAFT

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return obj is None or obj.status == Event.Status.DRAFT


class RegistrationInline(admin.TabularInline):
    model = Registration
    extra = 0
    fields = ["name", "email", "status", "holds_seat", "created_at", "attended"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title_de", "kind", "status", "capacity", "registration_closes"]
    list_filter = ["kind", "status"]
    search_fields = ["title_de", "title_en", "place"]
    filter_horizontal = ["organisers"]
    inlines = [EventSessionInline, RegistrationInline]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fields = ["uid", "sequence", "created_at", "updated_at"]
        if obj is not None:
            fields += ["status", "capacity", "place", "address", "online_url"]
        return fields


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "event", "status", "holds_seat", "created_at", "attended"]
    list_filter = ["status", "event"]
    search_fields = ["name", "email", "municipality_name"]
    list_select_related = ["event"]
    exclude = ["token"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
