"""Reads of /koordination/beratungen/: every consultation request with its bookings, filtered
by Land, topic, status, expert and month, searched by municipality or plan; and its CSV.

The filters are EXISTS subqueries, not joins, so a request appears once however many bookings
match; bookings and topics come by prefetch, so a page costs the same queries for 3 rows or 30.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bookings.models import ConsultationBooking
from consult.choices import FederalState
from consult.models import ConsultationRequest, RequestTopic, Topic
from events.serializers import csv_cell

RequestStatus = ConsultationRequest.Status
BookingStatus = ConsultationBooking.Status
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class ConsultationFilter(forms.Form):
    q = forms.CharField(label=_("Kommune oder Vorhaben"), required=False, max_length=100)
    land = forms.ChoiceField(
        label=_("Bundesland"), required=False, choices=[("", _("alle")), *FederalState.choices]
    )
    topic = forms.ModelChoiceField(
        label=_("Thema"),
        required=False,
        queryset=Topic.objects.all(),
        to_field_name="slug",
        empty_label=_("alle"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("alle")),
            (_("Anfrage"), [(f"request:{v}", label) for v, label in RequestStatus.choices]),
            (_("Termin"), [(f"booking:{v}", label) for v, label in BookingStatus.choices]),
        ],
    )
    expert = forms.CharField(
        label=_("Expert*in"),
        required=False,
        max_length=100,
        help_text=_("Name oder Nummer"),
    )
    month = forms.CharField(
        label=_("Monat"),
        required=False,
        max_length=7,
        help_text=_("JJJJ-MM: Anfrage gestellt oder Termin in diesem Monat"),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2027-06"}),
    )

    def clean_month(self) -> str:
        value = self.cleaned_data["month"].strip()
        if value and not _MONTH.match(value):
            raise forms.ValidationError(_("Bitte als JJJJ-MM angeben, z. B. 2027-06."))
        return value


def month_range(value: str) -> tuple[datetime, datetime]:
    """A month "YYYY-MM" as [first instant, first instant of the next) in Berlin time."""
    year, month = (int(part) for part in value.split("-"))
    zone = ZoneInfo(settings.TIME_ZONE)
    after = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1, tzinfo=zone), datetime(*after, 1, tzinfo=zone)


def _bookings_where(**lookups: Any) -> Exists:
    return Exists(ConsultationBooking.objects.filter(request=OuterRef("pk"), **lookups))


def _expert_lookup(value: str) -> dict[str, Any]:
    if value.isascii() and value.isdigit():
        return {"expert_id": int(value[:18])}
    return {"expert__display_name__icontains": value}


def requests(criteria: dict[str, Any]) -> QuerySet[ConsultationRequest]:
    """The requests matching the cleaned filter, newest first, with bookings and topics."""
    qs = (
        ConsultationRequest.objects.select_related("plan__municipality")
        .prefetch_related(
            "topic_weights__topic",
            Prefetch(
                "bookings",
                queryset=ConsultationBooking.objects.select_related("expert").order_by(
                    "start", "id"
                ),
            ),
        )
        .order_by("-created_at", "-id")
    )
    if q := (criteria.get("q") or "").strip():
        qs = qs.filter(Q(plan__municipality__name__icontains=q) | Q(plan__title__icontains=q))
    if land := criteria.get("land"):
        qs = qs.filter(plan__municipality__state=land)
    if topic := criteria.get("topic"):
        qs = qs.filter(
            Exists(RequestTopic.objects.filter(request=OuterRef("pk"), topic_id=topic.pk))
        )
    status = criteria.get("status") or ""
    if status.startswith("request:"):
        qs = qs.filter(status=status.removeprefix("request:"))
    elif status.startswith("booking:"):
        qs = qs.filter(_bookings_where(status=status.removeprefix("booking:")))
    if expert := (criteria.get("expert") or "").strip():
        qs = qs.filter(_bookings_where(**_expert_lookup(expert)))
    if month := criteria.get("month"):
        first, after = month_range(month)
        qs = qs.filter(
            Q(created_at__gte=first, created_at__lt=after)
            | _bookings_where(start__gte=first, start__lt=after)
        )
    return qs


CSV_COLUMNS = (
    _("Anfrage"),
    _("gestellt"),
    _("Kommune"),
    _("Bundesland"),
    _("Vorhaben"),
    _("Themen"),
    _("Status der Anfrage"),
    _("Termin"),
    _("Expert*in"),
    _("Beginn"),
    _("Status des Termins"),
)


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


def csv_rows(found: Iterable[ConsultationRequest]) -> Iterable[list[str]]:
    """One row per booking (a request without one gets one row of its own)."""
    for request in found:
        municipality = request.plan.municipality
        head = [
            str(request.pk),
            _local(request.created_at),
            municipality.name,
            municipality.get_state_display(),
            str(request.plan),
            ", ".join(w.topic.name for w in request.topic_weights.all()),
            request.get_status_display(),
        ]
        bookings = list(request.bookings.all())
        for booking in bookings or [None]:
            tail = (
                [
                    str(booking.pk),
                    booking.expert.display_name,
                    _local(booking.start),
                    booking.get_status_display(),
                ]
                if booking
                else ["", "", "", ""]
            )
            yield [csv_cell(value) for value in head + tail]


def as_csv(found: Iterable[ConsultationRequest]) -> str:
    """Semicolons and a BOM, as the other back-office CSVs (German spreadsheets read them)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(label) for label in CSV_COLUMNS])
    writer.writerows(csv_rows(found))
    return out.getvalue()
