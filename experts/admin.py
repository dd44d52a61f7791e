"""Coordinator admin of the experts app: profiles, availability, what was shown, proposals."""

from __future__ import annotations

from django.contrib import admin

from experts.models import (
    AssignmentItem,
    AssignmentProposal,
    AvailabilityException,
    AvailabilityRule,
    ExpertProfile,
    ExpertTopic,
    MatchRecord,
)


class ExpertTopicInline(admin.TabularInline):
    model = ExpertTopic
    extra = 0


class AvailabilityRuleInline(admin.TabularInline):
    model = AvailabilityRule
    extra = 0


class AvailabilityExceptionInline(admin.TabularInline):
    model = AvailabilityException
    extra = 0


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    # Saving here saves the profile (updated_at moves), so the warm matrix sees inline edits too.
    list_display = ["display_name", "organisation", "home_city", "monthly_capacity", "active"]
    list_filter = ["active", "auto_confirm"]
    search_fields = ["display_name", "organisation", "email", "home_city"]
    raw_id_fields = ["user"]
    filter_horizontal = ["conflicts"]
    readonly_fields = ["updated_at"]
    inlines = [ExpertTopicInline, AvailabilityRuleInline, AvailabilityExceptionInline]


@admin.register(MatchRecord)
class MatchRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "request", "source", "chosen_expert", "created_by", "created_at"]
    list_filter = ["source"]
    list_select_related = ["request__plan__municipality", "chosen_expert", "created_by"]
    raw_id_fields = ["request", "chosen_expert", "created_by"]
    readonly_fields = ["created_at"]


class AssignmentItemInline(admin.TabularInline):
    model = AssignmentItem
    extra = 0
    raw_id_fields = ["request", "expert"]


@admin.register(AssignmentProposal)
class AssignmentProposalAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "created_by", "created_at", "accepted_at"]
    list_filter = ["status"]
    readonly_fields = ["created_at", "accepted_at"]
    inlines = [AssignmentItemInline]
