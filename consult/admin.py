"""Coordinator admin of the municipal side."""

from __future__ import annotations

from django.contrib import admin

from consult.models import (
    ConsultationRequest,
    Invitation,
    MembershipApplication,
    Municipality,
    ParticipationPlan,
    RequestTopic,
    StaffMembership,
    Topic,
)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_de", "name_en", "position"]
    ordering = ["position", "slug"]


class StaffInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "state",
        "country",
        "listed",
        "open_to_exchange",
        "member_since",
    ]
    list_filter = ["kind", "state", "country", "listed", "open_to_exchange"]
    search_fields = ["name", "ags", "district"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StaffInline]


@admin.register(ParticipationPlan)
class ParticipationPlanAdmin(admin.ModelAdmin):
    list_display = ["__str__", "municipality", "procedure_type", "stage", "budget_eur"]
    list_filter = ["procedure_type", "stage", "municipality__state"]
    search_fields = ["title", "municipality__name", "description"]
    list_select_related = ["municipality"]
    filter_horizontal = ["topics"]
    raw_id_fields = ["municipality"]


class RequestTopicInline(admin.TabularInline):
    model = RequestTopic
    extra = 0


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "format", "language", "earliest", "latest"]
    list_filter = ["status", "format", "language"]
    search_fields = ["plan__title", "plan__municipality__name", "notes"]
    list_select_related = ["plan__municipality"]
    raw_id_fields = ["plan", "created_by"]
    inlines = [RequestTopicInline]


@admin.register(MembershipApplication)
class MembershipApplicationAdmin(admin.ModelAdmin):
    list_display = ["organisation_name", "kind", "state", "email", "status", "created_at"]
    list_filter = ["status", "kind", "country"]
    search_fields = ["organisation_name", "email", "ags", "contact_name"]
    raw_id_fields = ["organisation", "decided_by"]
    readonly_fields = ["confirm_nonce", "inert"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "organisation__name"]
    raw_id_fields = ["organisation", "invited_by", "accepted_by"]
    readonly_fields = ["nonce"]
