"""The forum's API: `/api/v1/threads/` (list with `?search=` and `?topic=`, create, detail),
`…/{id}/posts/`, `…/{id}/solve/`, `…/{id}/follow/`, `…/{id}/moderate/`, and per post
`/api/v1/posts/{id}/helpful/`, `report/`, `moderate/`.

Members only: anonymous callers get 401, except on a thread a coordinator made public.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from core.api_fields import MAX_ID, id_field
from core.errors import NotFound
from core.roles import is_coordinator
from exchange import following, forum, moderation, search, selectors
from exchange.models import Post, Thread


def person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def organisation(org: Any) -> dict[str, Any] | None:
    return None if org is None else {"id": org.pk, "name": org.name}


class ThreadSerializer(serializers.ModelSerializer):
    topic = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    topic_name = serializers.CharField(source="topic.name", read_only=True)
    author = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Thread
        fields = [
            "id",
            "title",
            "topic",
            "topic_name",
            "kind",
            "author",
            "organisation",
            "public",
            "locked",
            "hidden",
            "solved_post",
            "post_count",
            "body",
            "body_html",
            "created_at",
            "last_post_at",
            "url",
        ]
        read_only_fields = fields

    def get_author(self, thread: Thread) -> dict[str, Any] | None:
        return person(thread.author)

    def get_organisation(self, thread: Thread) -> dict[str, Any] | None:
        return organisation(thread.organisation)

    def get_body(self, thread: Thread) -> str:
        return thread.first_post.body if thread.first_post else ""

    def get_body_html(self, thread: Thread) -> str:
        return thread.first_post.body_html if thread.first_post else ""

    def get_url(self, thread: Thread) -> str:
        return reverse("exchange:thread", args=[thread.pk])


class PostSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()
    helpful_by_me = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "thread",
            "author",
            "organisation",
            "body",
            "body_html",
            "quote",
            "hidden",
            "helpful_count",
            "helpful_by_me",
            "attachments",
            "edited_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_author(self, post: Post) -> dict[str, Any] | None:
        return person(post.author)

    def get_organisation(self, post: Post) -> dict[str, Any] | None:
        return organisation(post.organisation)

    def get_helpful_by_me(self, post: Post) -> bool:
        return post.pk in self.context.get("helpful", set())

    def get_attachments(self, post: Post) -> list[dict[str, Any]]:
        return [
            {
                "id": a.pk,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "url": reverse("exchange:attachment", args=[a.pk]),
            }
            for a in post.attachments.all()
        ]


class ThreadQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    topic = serializers.SlugField(required=False, allow_blank=True, max_length=50)

    def validate_search(self, value: str) -> str:
        return search.clean_query(value)


class ThreadCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=forum.MAX_TITLE)
    body = serializers.CharField(max_length=forum.MAX_BODY, trim_whitespace=False)
    topic = serializers.SlugField(max_length=50)
    kind = serializers.ChoiceField(choices=Thread.Kind.choices, default=Thread.Kind.DISCUSSION)


class PostCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=forum.MAX_BODY, trim_whitespace=False)
    quote = id_field(required=False, allow_null=True)


class SolveSerializer(serializers.Serializer):
    post = id_field(allow_null=True)


class ReportSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ThreadModerationSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=moderation.THREAD_ACTIONS)
    topic = serializers.SlugField(required=False, allow_blank=True, max_length=50)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=400)


class PostModerationSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=moderation.POST_ACTIONS)
    body = serializers.CharField(required=False, max_length=forum.MAX_BODY, trim_whitespace=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=400)


def _valid(serializer_class: Any, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _id(pk: str | None) -> int:
    try:
        value = int(pk or "")
    except ValueError:
        value = 0
    if not 0 < value <= MAX_ID:
        raise NotFound(_("Dieses Thema gibt es nicht."))
    return value


def _signed_in(request: Request) -> None:
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()


def _uploads(request: Request) -> list[Any]:
    return request.FILES.getlist("attachments") if request.FILES else []


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="German full-text search"),
            OpenApiParameter("topic", str, description="topic slug"),
        ],
        responses=ThreadSerializer,
    ),
    create=extend_schema(request=ThreadCreateSerializer, responses=ThreadSerializer),
    posts=extend_schema(request=PostCreateSerializer, responses=PostSerializer),
    solve=extend_schema(request=SolveSerializer, responses=ThreadSerializer),
    follow=extend_schema(request=None, responses=OpenApiTypes.OBJECT),
    moderate=extend_schema(request=ThreadModerationSerializer, responses=ThreadSerializer),
)
class ThreadViewSet(GenericViewSet):
    """Forum threads: members read and write; a public thread is readable by anyone."""

    queryset = Thread.objects.none()
    serializer_class = ThreadSerializer
    permission_classes = [AllowAny]
    lookup_value_regex = "[0-9]+"

    def _thread(self, request: Request, pk: str | None) -> Thread:
        try:
            return selectors.thread_for(user=request.user, thread_id=_id(pk))
        except NotFound:
            # Anonymous callers learn nothing but "log in" about a thread they cannot read.
            _signed_in(request)
            raise

    def list(self, request: Request) -> Response:
        _signed_in(request)
        params = _valid(ThreadQuerySerializer, request.query_params)
        queryset = selectors.thread_list(
            user=request.user,
            search_text=params.get("search", ""),
            topic=params.get("topic", ""),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ThreadSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        _signed_in(request)
        data = _valid(ThreadCreateSerializer, request.data)
        thread = forum.create_thread(
            user=request.user,
            title=data["title"],
            body=data["body"],
            topic_slug=data["topic"],
            kind=data["kind"],
            uploads=_uploads(request),
        )
        thread = selectors.thread_for(user=request.user, thread_id=thread.pk)
        return Response(ThreadSerializer(thread).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(ThreadSerializer(self._thread(request, pk)).data)

    @action(detail=True, methods=["get", "post"])
    def posts(self, request: Request, pk: str | None = None) -> Response:
        if request.method == "POST":
            _signed_in(request)
            data = _valid(PostCreateSerializer, request.data)
            post = forum.reply(
                user=request.user,
                thread_id=_id(pk),
                body=data["body"],
                quote_id=data.get("quote"),
                uploads=_uploads(request),
            )
            post = selectors.post_for(user=request.user, post_id=post.pk)
            return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)
        thread = self._thread(request, pk)
        page = self.paginate_queryset(selectors.posts_of(user=request.user, thread=thread))
        helpful = selectors.helpful_post_ids(user=request.user, post_ids=[p.pk for p in page])
        data = PostSerializer(page, many=True, context={"helpful": helpful}).data
        return self.get_paginated_response(data)

    @action(detail=True, methods=["post"])
    def solve(self, request: Request, pk: str | None = None) -> Response:
        _signed_in(request)
        data = _valid(SolveSerializer, request.data)
        forum.solve(user=request.user, thread_id=_id(pk), post_id=data["post"])
        return Response(ThreadSerializer(self._thread(request, pk)).data)

    @action(detail=True, methods=["post", "delete"])
    def follow(self, request: Request, pk: str | None = None) -> Response:
        _signed_in(request)
        thread = self._thread(request, pk)
        if request.method == "DELETE":
            following.unfollow_thread(user=request.user, thread_id=thread.pk)
            return Response({"following": False})
        following.follow_thread(user=request.user, thread=thread)
        return Response({"following": True})

    @action(detail=True, methods=["post"])
    def moderate(self, request: Request, pk: str | None = None) -> Response:
        _signed_in(request)
        data = _valid(ThreadModerationSerializer, request.data)
        if not is_coordinator(request.user):
            self._thread(request, pk)  # 404 for what the caller cannot see, before 403
        moderation.moderate_thread(
            user=request.user,
            thread_id=_id(pk),
            action=data["action"],
            topic_slug=data.get("topic", ""),
            reason=data.get("reason", ""),
        )
        return Response(ThreadSerializer(self._thread(request, pk)).data)


@extend_schema_view(
    helpful=extend_schema(request=None, responses=PostSerializer),
    report=extend_schema(request=ReportSerializer, responses={201: OpenApiTypes.OBJECT}),
    moderate=extend_schema(request=PostModerationSerializer, responses=PostSerializer),
)
class PostViewSet(GenericViewSet):
    """Single posts: "helpful" (one vote per person), report, moderation."""

    queryset = Post.objects.none()
    serializer_class = PostSerializer
    permission_classes = [AllowAny]
    lookup_value_regex = "[0-9]+"

    def _out(self, request: Request, post_id: int) -> Response:
        post = selectors.post_for(user=request.user, post_id=post_id)
        helpful = selectors.helpful_post_ids(user=request.user, post_ids=[post.pk])
        return Response(PostSerializer(post, context={"helpful": helpful}).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        _signed_in(request)
        return self._out(request, _id(pk))

    @action(detail=True, methods=["post"])
    def helpful(self, request: Request, pk: str | None = None) -> Response:
        _signed_in(request)
        post = forum.mark_helpful(user=request.user, post_id=_id(pk))
        return self._out(request, post.pk)

    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        _signed_in(request)
        data = _valid(ReportSerializer, request.data)
        report = moderation.report_post(user=request.user, post_id=_id(pk), reason=data["reason"])
        return Response({"id": report.pk, "post": report.post_id}, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def moderate(self, request: Request, pk: str | None = None) -> Response:
        _signed_in(request)
        data = _valid(PostModerationSerializer, request.data)
        post = moderation.moderate_post(
            user=request.user,
            post_id=_id(pk),
            action=data["action"],
            body=data.get("body", ""),
            reason=data.get("reason", ""),
        )
        return self._out(request, post.pk)
