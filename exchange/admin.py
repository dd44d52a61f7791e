"""Coordinator admin of the exchange: reading and fixing, the pages do the daily work."""

from django.contrib import admin

from exchange.models import (
    ContactRequest,
    Debate,
    ModerationAction,
    NewsItem,
    PartnerNetwork,
    Post,
    PostReport,
    Thread,
)


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "kind", "public", "locked", "hidden", "last_post_at"]
    list_filter = ["kind", "public", "locked", "hidden", "topic"]
    search_fields = ["title"]
    raw_id_fields = ["author", "organisation", "first_post", "solved_post"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "thread", "author", "hidden", "created_at"]
    list_filter = ["hidden"]
    raw_id_fields = ["thread", "author", "organisation", "quote"]
    readonly_fields = ["body_html"]


@admin.register(PostReport)
class PostReportAdmin(admin.ModelAdmin):
    list_display = ["post", "reporter", "created_at", "resolved_at"]
    raw_id_fields = ["post", "reporter", "resolved_by"]


@admin.register(ContactRequest)
class ContactRequestAdmin(admin.ModelAdmin):
    list_display = ["sender_organisation", "recipient_organisation", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["sender_organisation", "recipient_organisation", "sender", "decided_by"]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "thread", "post", "detail"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # the audit trail is read-only

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Debate)
class DebateAdmin(admin.ModelAdmin):
    # Read-only here: opening and the summary go through the pages (invitations, thread).
    list_display = ["title_de", "topic", "starts_at", "ends_at", "summary_published_at"]
    readonly_fields = [field.name for field in Debate._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(NewsItem)
class NewsItemAdmin(admin.ModelAdmin):
    # Read-only here too: the pages render the Markdown when the text changes.
    list_display = ["title_de", "published_at"]
    readonly_fields = [field.name for field in NewsItem._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(PartnerNetwork)
class PartnerNetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "position"]
