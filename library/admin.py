"""Coordinator admin of the library (review goes through the services' actions)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from library import services
from library.models import Resource


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("title_de", "kind", "status", "year", "deadline", "submitted_for", "updated_at")
    list_filter = ("status", "kind", "language", "topics")
    search_fields = ("title_de", "title_en", "summary_de", "source", "funder")
    filter_horizontal = ("topics",)
    raw_id_fields = ("submitted_by", "submitted_for", "author_expert", "reviewed_by")
    readonly_fields = ("file_name", "file_type", "file_size", "published_at", "created_at")
    actions = ("publish", "archive")

    def _apply(self, request: HttpRequest, queryset: QuerySet[Resource], service) -> None:  # type: ignore[no-untyped-def]
        for resource in queryset:
            try:
                service(user=request.user, resource_id=resource.pk)
            except DomainError as exc:
                self.message_user(request, f"{resource}: {exc.message}", messages.WARNING)

    @admin.action(description=_("Veröffentlichen"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Resource]) -> None:
        self._apply(request, queryset, services.publish_resource)

    @admin.action(description=_("Archivieren"))
    def archive(self, request: HttpRequest, queryset: QuerySet[Resource]) -> None:
        self._apply(request, queryset, services.archive_resource)
