"""Serializers of the events API: what an event, a participant and a registration look like,
and the input of each write; the participants' CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from consult.choices import LANGUAGE_CHOICES
from core.api_fields import MAX_ID, id_field
from core.validators import has_control_characters
from events import selectors
from events.models import Event, EventAudience, Registration

# Cells starting with these are formulas to Excel/LibreOffice (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# What the services refuse in names (control characters, Unicode line separators).


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


# --- serializers ------------------------------------------------------------------------------


class SessionSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A partial update of an event is partial down to its sessions in DRF; a session is
        # only ever replaced whole, so both times are required there too.
        missing = {
            name: [serializers.Field.default_error_messages["required"]]
            for name in ("start", "end")
            if name not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class OrganiserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _iso(value: datetime, zone: tzinfo) -> str:
    """What DRF's DateTimeField gives (ISO 8601 in the current zone, UTC as "Z"), without a
    field instance per value."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class EventSerializer(serializers.ModelSerializer):
    """Shows one of `selectors.event_rows` (completed by `with_sessions_and_organisers`).

    The fields document the shape; `to_representation` builds it from the row directly: a
    field-by-field pass over a page of 20 events cost more than the queries behind it.
    """

    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    sessions = SessionSerializer(many=True, read_only=True)
    seats_left = serializers.IntegerField(read_only=True)
    waitlist_length = serializers.IntegerField(read_only=True)
    registration_open = serializers.BooleanField(read_only=True)
    organisers = OrganiserSerializer(many=True, read_only=True)
    # Present for the organisers only (see to_representation), blank when there is no link:
    # documented as an optional string. This serializer only reads (EventWriteSerializer writes).
    online_url = serializers.CharField(required=False, allow_blank=True)
    topics = serializers.ListField(child=serializers.SlugField(), read_only=True)
    target_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=EventAudience.choices), read_only=True
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "title",
            "title_de",
            "title_en",
            "description",
            "description_de",
            "description_en",
            "target_audience",
            "topics",
            "target_groups",
            "language",
            "sessions",
            "place",
            "address",
            "online_url",
            "capacity",
            "seats_left",
            "waitlist_length",
            "registration_opens",
            "registration_closes",
            "registration_open",
            "status",
            "sequence",
            "organisers",
        ]
        read_only_fields = fields

    def to_representation(self, event: dict[str, Any]) -> dict[str, Any]:
        context = self.context
        english = context.get("language") == "en"
        zone = timezone.get_current_timezone()
        now = context.get("now") or timezone.now()
        opens, closes = event["registration_opens"], event["registration_closes"]
        seats_left, waitlist_length = selectors.seat_figures(
            event["capacity"], event["seats_taken"], event["line_length"]
        )
        data = {
            "id": event["id"],
            "kind": event["kind"],
            "title": (event["title_en"] or event["title_de"]) if english else event["title_de"],
            "title_de": event["title_de"],
            "title_en": event["title_en"],
            "description": (event["description_en"] or event["description_de"])
            if english
            else event["description_de"],
            "description_de": event["description_de"],
            "description_en": event["description_en"],
            "target_audience": event["target_audience"],
            "topics": event["topics"],
            "target_groups": event["target_groups"],
            "language": event["language"],
            "sessions": [
                {"start": _iso(s["start"], zone), "end": _iso(s["end"], zone)}
                for s in event["sessions"]
            ],
            "place": event["place"],
            "address": event["address"],
        }
        # The online link is for confirmed participants (by their link) and the organisers.
        if context.get("can_manage"):
            data["online_url"] = event["online_url"]
        data.update(
            capacity=event["capacity"],
            seats_left=seats_left,
            waitlist_length=waitlist_length,
            registration_opens=_iso(opens, zone),
            registration_closes=_iso(closes, zone),
            registration_open=event["status"] == Event.Status.PUBLISHED and opens <= now < closes,
            status=event["status"],
            sequence=event["sequence"],
            organisers=event["organisers"],
        )
        return data


class EventWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Event.Kind.choices)
    title_de = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description_de = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    description_en = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    target_audience = serializers.CharField(max_length=300, required=False, allow_blank=True)
    # Topic slugs (GET /api/v1/topics/) and whom the event is for; optional, none by default.
    topics = serializers.ListField(child=serializers.SlugField(), required=False, max_length=20)
    target_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=EventAudience.choices), required=False, max_length=10
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, required=False)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    online_url = serializers.URLField(max_length=200, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=1, max_value=100_000)
    registration_opens = serializers.DateTimeField()
    registration_closes = serializers.DateTimeField()
    sessions = SessionSerializer(many=True, allow_empty=False, max_length=50)
    organisers = serializers.ListField(child=id_field(), required=False, max_length=50)

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if "sessions" in data:
            data["sessions"] = [(s["start"], s["end"]) for s in data["sessions"]]
        if "organisers" in data:
            data["organiser_ids"] = data.pop("organisers")
        return data


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            {"type": "string", "maxLength": 200},
        ],
        "nullable": True,
        "description": "A member municipality's id, or the name of one typed in.",
    }
)
class MunicipalityField(serializers.Field):
    """ "Choose a member or type one" (issue 6) in the one field DESIGN.md names: an id (a
    number) chooses a member; any other text is a typed name, linked to a member of that name
    by the service and kept as text otherwise. Blank or null is no municipality."""

    default_error_messages = {
        "invalid": gettext_lazy("Eine Kommune (Nummer) oder ihren Namen angeben."),
        "max_length": gettext_lazy("Höchstens 200 Zeichen."),
        "control": gettext_lazy("Enthält unzulässige Steuerzeichen."),
    }

    def to_internal_value(self, data: Any) -> int | str | None:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            return id_field().run_validation(data)
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        if text.isascii() and text.isdigit():
            return id_field().run_validation(text)
        if len(text) > 200:
            self.fail("max_length")
        if has_control_characters(text):
            self.fail("control")
        return text or None

    def to_representation(self, value: Any) -> Any:
        return value


class _ParticipantInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    municipality = MunicipalityField(required=False, allow_null=True)
    municipality_name = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def municipality_arguments(self) -> dict[str, Any]:
        """`municipality_id` and `municipality_name` for the service."""
        chosen = self.validated_data.get("municipality")
        typed = self.validated_data.get("municipality_name", "")
        if isinstance(chosen, str):
            return {"municipality_id": None, "municipality_name": typed or chosen}
        return {"municipality_id": chosen, "municipality_name": typed}


@extend_schema_field(
    {
        "type": "boolean",
        "enum": [True],
        "description": "Consent to the privacy notice: must be true.",
    }
)
class ConsentField(serializers.BooleanField):
    default_error_messages = {
        "not_given": gettext_lazy("Bitte der Datenschutzerklärung zustimmen."),
    }

    def to_internal_value(self, data: Any) -> bool:
        if super().to_internal_value(data) is not True:
            self.fail("not_given")
        return True


class RegisterSerializer(_ParticipantInput):
    consent = ConsentField()


class RegistrationReceivedSerializer(serializers.Serializer):
    """The answer to registering: the same whether the address was new or registered already
    (anything else would tell a stranger who is registered); the e-mail says the rest."""

    event = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=[Registration.Status.PENDING],
        help_text="Always `pending`: the registration waits for the link e-mailed to the "
        "address, which also says whether it holds a seat or a place in line.",
    )
    detail = serializers.CharField()


class ManualAddSerializer(_ParticipantInput):
    language = serializers.ChoiceField(choices=["de", "en"], required=False, default="de")


class AttendanceSerializer(serializers.Serializer):
    registrations = serializers.ListField(child=id_field(), allow_empty=False, max_length=10_000)
    attended = serializers.BooleanField(allow_null=True)


def _municipality(registration: Registration) -> dict[str, Any] | None:
    if registration.municipality_id is None:
        return None
    return {"id": registration.municipality_id, "name": registration.municipality.name}


class ParticipantSerializer(serializers.ModelSerializer):
    municipality = serializers.SerializerMethodField()
    waitlist_position = serializers.IntegerField(source="position", read_only=True, allow_null=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "name",
            "email",
            "municipality",
            "municipality_name",
            "language",
            "status",
            "holds_seat",
            "waitlist_position",
            "hold_expires_at",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "attended",
        ]
        read_only_fields = fields

    def get_municipality(self, registration: Registration) -> dict[str, Any] | None:
        return _municipality(registration)


CSV_COLUMNS = [
    ("id", "ID"),
    ("name", "Name"),
    ("email", "E-Mail"),
    ("municipality", "Kommune"),
    ("status", "Status"),
    ("waitlist_position", "Warteliste"),
    ("created_at", "Angemeldet am"),
    ("confirmed_at", "Bestätigt am"),
    ("attended", "Teilgenommen"),
]


def participants_csv(registrations: list[Registration]) -> str:
    """Semicolon-separated with a BOM: what German Excel opens correctly by double-click."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([label for _key, label in CSV_COLUMNS])
    for r in registrations:
        municipality = r.municipality.name if r.municipality_id else r.municipality_name
        row = {
            "id": r.pk,
            "name": r.name,
            "email": r.email,
            "municipality": municipality,
            "status": r.get_status_display(),
            "waitlist_position": r.position or "",
            "created_at": timezone.localtime(r.created_at).strftime("%d.%m.%Y %H:%M"),
            "confirmed_at": timezone.localtime(r.confirmed_at).strftime("%d.%m.%Y %H:%M")
            if r.confirmed_at
            else "",
            "attended": {True: "ja", False: "nein", None: ""}[r.attended],
        }
        writer.writerow([csv_cell(row[key]) for key, _label in CSV_COLUMNS])
    return out.getvalue()


class RegistrationSerializer(serializers.ModelSerializer):
    """What the holder of the token sees: their own registration only."""

    event = serializers.SerializerMethodField()
    municipality = serializers.SerializerMethodField()
    waitlist_position = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "status",
            "waitlist_position",
            "event",
            "name",
            "email",
            "municipality",
            "municipality_name",
            "language",
            "hold_expires_at",
            "consent_at",
            "confirmed_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_waitlist_position(self, registration: Registration) -> int | None:
        return selectors.waitlist_position(registration)

    def get_municipality(self, registration: Registration) -> dict[str, Any] | None:
        return _municipality(registration)

    def get_event(self, registration: Registration) -> dict[str, Any]:
        event = registration.event
        confirmed = registration.status == Registration.Status.CONFIRMED
        return {
            "id": event.pk,
            "kind": event.kind,
            "title": event.title,
            "status": event.status,
            "sessions": SessionSerializer(event.sessions.all(), many=True).data,
            "place": event.place,
            "address": event.address,
            # The online link is for confirmed participants only.
            "online_url": event.online_url if confirmed else "",
        }
