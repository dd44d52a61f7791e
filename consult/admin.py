"""Coordinator admin of the municipal side."""

from __future__ import annotations

from django.contrib import admin

from consult.models import (
    ConsultationRequest,
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
    list_display = ["name", "state", "kind", "population", "open_to_exchange", "member_since"]
    list_filter = ["state", "kind", "open_to_exchange"]
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
