"""`/api/v1/contact-requests/`: both directions of the caller's organisation; `POST` {`to`,
`message`}; `POST …/{id}/accept/` and `decline/` by the receiving organisation."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from core.api_fields import MAX_ID, id_field
from core.errors import NotFound
from core.roles import municipality_id_of
from exchange import contacts, selectors
from exchange.models import ContactRequest

Status = ContactRequest.Status


def contact_of(request: ContactRequest, side: str) -> dict[str, Any]:
    """The contact person and e-mail of one side of an accepted request."""
    if side == "sender":
        org, user = request.sender_organisation, request.sender
    else:
        org, user = request.recipient_organisation, request.decided_by
    return {
        "organisation": {"id": org.pk, "name": org.name},
        "person": (user.get_full_name() or user.get_username()) if user else "",
        "email": user.email if user else "",
        "organisation_email": org.contact_email,
    }


class ContactRequestSerializer(serializers.ModelSerializer):
    direction = serializers.SerializerMethodField()
    sender = serializers.SerializerMethodField()
    to = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ContactRequest
        fields = [
            "id",
            "direction",
            "sender",
            "to",
            "message",
            "status",
            "contact",
            "created_at",
            "decided_at",
            "url",
        ]
        read_only_fields = fields

    def _mine(self, request: ContactRequest) -> str:
        own = self.context.get("organisation_id")
        return "sent" if request.sender_organisation_id == own else "received"

    def get_direction(self, request: ContactRequest) -> str:
        return self._mine(request)

    def get_sender(self, request: ContactRequest) -> dict[str, Any]:
        org = request.sender_organisation
        return {"id": org.pk, "name": org.name}

    def get_to(self, request: ContactRequest) -> dict[str, Any]:
        org = request.recipient_organisation
        return {"id": org.pk, "name": org.name}

    def get_contact(self, request: ContactRequest) -> dict[str, Any] | None:
        """The other side's contact person and e-mail, once accepted (else null)."""
        if request.status != Status.ACCEPTED:
            return None
        return contact_of(request, "recipient" if self._mine(request) == "sent" else "sender")

    def get_url(self, request: ContactRequest) -> str:
        return reverse("exchange:contact", args=[request.pk])


class ContactRequestCreateSerializer(serializers.Serializer):
    to = id_field()
    message = serializers.CharField(max_length=contacts.MAX_MESSAGE)


def _id(pk: str | None) -> int:
    try:
        value = int(pk or "")
    except ValueError:
        value = 0
    if not 0 < value <= MAX_ID:
        raise NotFound(_("Diese Kontaktanfrage gibt es nicht."))
    return value


@extend_schema_view(
    create=extend_schema(
        request=ContactRequestCreateSerializer, responses=ContactRequestSerializer
    ),
    accept=extend_schema(request=None, responses=ContactRequestSerializer),
    decline=extend_schema(request=None, responses=ContactRequestSerializer),
)
class ContactRequestViewSet(GenericViewSet):
    queryset = ContactRequest.objects.none()
    serializer_class = ContactRequestSerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = "[0-9]+"

    def _context(self, request: Request) -> dict[str, Any]:
        return {"organisation_id": municipality_id_of(request.user)}

    def _one(self, request: Request, request_id: int) -> Response:
        found = selectors.contact_request_for(user=request.user, request_id=request_id)
        return Response(ContactRequestSerializer(found, context=self._context(request)).data)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.contact_requests_for(request.user))
        data = ContactRequestSerializer(page, many=True, context=self._context(request)).data
        return self.get_paginated_response(data)

    def create(self, request: Request) -> Response:
        serializer = ContactRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sent = contacts.send_contact_request(
            user=request.user,
            to_organisation_id=serializer.validated_data["to"],
            message=serializer.validated_data["message"],
        )
        response = self._one(request, sent.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._one(request, _id(pk))

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        decided = contacts.accept(user=request.user, request_id=_id(pk))
        return self._one(request, decided.pk)

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        decided = contacts.decline(user=request.user, request_id=_id(pk))
        return self._one(request, decided.pk)
