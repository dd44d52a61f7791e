"""GET /api/v1/directory/: the public member directory (listed organisations only, no
contacts), paginated, filtered by kind and state."""

from __future__ import annotations

from rest_framework import generics, permissions, serializers
from rest_framework.throttling import ScopedRateThrottle

from consult import directory
from consult.choices import FederalState, OrganisationKind
from consult.models import Municipality


class DirectoryEntrySerializer(serializers.ModelSerializer):
    procedure_type = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Municipality
        # Public fields only: never contact_email, people or anything an applicant typed.
        fields = [
            "id",
            "name",
            "kind",
            "country",
            "state",
            "website",
            "latitude",
            "longitude",
            "procedure_type",
        ]
        read_only_fields = fields


class DirectoryQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OrganisationKind.choices, required=False)
    state = serializers.ChoiceField(choices=FederalState.choices, required=False)


class DirectoryView(generics.ListAPIView):
    """Organisations that agreed to be listed publicly."""

    serializer_class = DirectoryEntrySerializer
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    filter_backends: list = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        query = DirectoryQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return directory.listed_organisations(**query.validated_data)
