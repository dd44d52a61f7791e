"""`/api/v1/debates/` (members read; coordinators create, change and `POST …/{id}/summary/`)
and `/api/v1/news/` (everybody reads what is published; coordinators write)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from core.api_fields import MAX_ID, id_field
from core.errors import NotFound
from exchange import debates, news
from exchange.models import Debate, NewsItem


def _id(pk: str | None, message: str) -> int:
    try:
        value = int(pk or "")
    except ValueError:
        value = 0
    if not 0 < value <= MAX_ID:
        raise NotFound(message)
    return value


def _valid(serializer_class: Any, data: Any, *, partial: bool = False) -> dict[str, Any]:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- debates ------------------------------------------------------------------------------------


class DebateSerializer(serializers.ModelSerializer):
    topic = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    phase = serializers.SerializerMethodField()
    materials = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Debate
        fields = [
            "id",
            "title_de",
            "title_en",
            "description_de",
            "description_en",
            "description_html_de",
            "description_html_en",
            "topic",
            "starts_at",
            "ends_at",
            "phase",
            "invited_kinds",
            "materials",
            "thread",
            "summary_de",
            "summary_en",
            "summary_html_de",
            "summary_html_en",
            "summary_published_at",
            "summary_public",
            "url",
        ]
        read_only_fields = fields

    def get_phase(self, debate: Debate) -> str:
        return debates.phase(debate)

    def get_materials(self, debate: Debate) -> list[dict[str, Any]]:
        return [{"id": r.pk, "title": r.title_de} for r in debate.materials.all()]

    def get_url(self, debate: Debate) -> str:
        return reverse("exchange:debate", args=[debate.pk])


class DebateWriteSerializer(serializers.Serializer):
    title_de = serializers.CharField(max_length=debates.MAX_TITLE)
    title_en = serializers.CharField(max_length=debates.MAX_TITLE, required=False, allow_blank=True)
    description_de = serializers.CharField(max_length=debates.MAX_TEXT)
    description_en = serializers.CharField(
        max_length=debates.MAX_TEXT, required=False, allow_blank=True
    )
    topic = serializers.SlugField(max_length=60)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    invited_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=debates.INVITABLE_KINDS),
        required=False,
        max_length=20,
    )
    materials = serializers.ListField(child=id_field(), required=False, max_length=50)


class SummarySerializer(serializers.Serializer):
    summary_de = serializers.CharField(max_length=40_000)
    summary_en = serializers.CharField(max_length=40_000, required=False, allow_blank=True)
    public = serializers.BooleanField(required=False, default=False)


def _debate_arguments(data: dict[str, Any]) -> dict[str, Any]:
    names = {"topic": "topic_slug", "materials": "material_ids"}
    return {names.get(key, key): value for key, value in data.items()}


@extend_schema_view(
    create=extend_schema(request=DebateWriteSerializer, responses=DebateSerializer),
    partial_update=extend_schema(request=DebateWriteSerializer, responses=DebateSerializer),
    summary=extend_schema(request=SummarySerializer, responses=DebateSerializer),
)
class DebateViewSet(GenericViewSet):
    """Members read every debate; a published public summary is readable by anyone."""

    queryset = Debate.objects.none()
    serializer_class = DebateSerializer
    permission_classes = [AllowAny]
    lookup_value_regex = "[0-9]+"

    def _one(self, request: Request, pk: Any) -> Response:
        found = debates.debate_for(
            user=request.user, debate_id=_id(str(pk), _("Diese Debatte gibt es nicht."))
        )
        return Response(DebateSerializer(found).data)

    def list(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        queryset = debates.debates_for(request.user).prefetch_related("materials")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DebateSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        try:
            return self._one(request, pk)
        except NotFound:
            if not request.user.is_authenticated:
                raise exceptions.NotAuthenticated() from None
            raise

    def create(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        data = _valid(DebateWriteSerializer, request.data)
        debate = debates.open_debate(user=request.user, **_debate_arguments(data))
        response = self._one(request, debate.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        debate_id = _id(pk, _("Diese Debatte gibt es nicht."))
        data = _valid(DebateWriteSerializer, request.data, partial=True)
        debates.update_debate(user=request.user, debate_id=debate_id, **_debate_arguments(data))
        return self._one(request, debate_id)

    @action(detail=True, methods=["post"])
    def summary(self, request: Request, pk: str | None = None) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        debate_id = _id(pk, _("Diese Debatte gibt es nicht."))
        data = _valid(SummarySerializer, request.data)
        debates.publish_summary(user=request.user, debate_id=debate_id, **data)
        return self._one(request, debate_id)


# --- news ---------------------------------------------------------------------------------------


class NewsSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = NewsItem
        fields = [
            "id",
            "title_de",
            "title_en",
            "body_de",
            "body_en",
            "body_html_de",
            "body_html_en",
            "published_at",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, item: NewsItem) -> str:
        return reverse("exchange:news-item", args=[item.pk])


class NewsWriteSerializer(serializers.Serializer):
    title_de = serializers.CharField(max_length=news.MAX_TITLE)
    title_en = serializers.CharField(max_length=news.MAX_TITLE, required=False, allow_blank=True)
    body_de = serializers.CharField(max_length=news.MAX_BODY)
    body_en = serializers.CharField(max_length=news.MAX_BODY, required=False, allow_blank=True)
    published_at = serializers.DateTimeField(required=False, allow_null=True)


@extend_schema_view(
    create=extend_schema(request=NewsWriteSerializer, responses=NewsSerializer),
    partial_update=extend_schema(request=NewsWriteSerializer, responses=NewsSerializer),
)
class NewsViewSet(GenericViewSet):
    """Published news for everybody; coordinators also see drafts and write."""

    queryset = NewsItem.objects.none()
    serializer_class = NewsSerializer
    permission_classes = [AllowAny]
    lookup_value_regex = "[0-9]+"

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(news.news_for(request.user, timezone.now()))
        return self.get_paginated_response(NewsSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        news_id = _id(pk, _("Diese Neuigkeit gibt es nicht."))
        return Response(NewsSerializer(news.news_item_for(user=request.user, news_id=news_id)).data)

    def create(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        data = _valid(NewsWriteSerializer, request.data)
        item = news.save_news(user=request.user, **data)
        return Response(NewsSerializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        news_id = _id(pk, _("Diese Neuigkeit gibt es nicht."))
        data = _valid(NewsWriteSerializer, request.data, partial=True)
        item = news.save_news(user=request.user, news_id=news_id, **data)
        return Response(NewsSerializer(item).data)
