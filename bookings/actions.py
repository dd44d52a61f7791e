"""The booking actions, one table for the pages and the API: which service, which input, what
the page says when it worked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bookings import services
from bookings.forms import DeclineForm, FeedbackForm, ReasonForm, RescheduleForm
from bookings.models import ConsultationBooking
from bookings.serializers import (
    FeedbackSerializer,
    ReasonSerializer,
    RescheduleSerializer,
    SeenSerializer,
)


@dataclass(frozen=True, slots=True)
class BookingAction:
    """One lifecycle step: its input's fields are the service's keyword arguments."""

    name: str  # the API's action (POST /api/v1/bookings/{id}/<url_path>/), URL name booking-<name>
    service: Callable[..., ConsultationBooking]
    serializer: type[serializers.Serializer] | None  # the API's body; None: none
    url_path: str = ""  # the API's path segment when it is not the name
    page: str = ""  # the page's path segment (German) under /termine/<id>/; "": API only
    form: type[forms.Form] = forms.Form  # the page's form, prefixed with the name
    done: str | Promise = ""  # what the page says when it worked
    back_to_next: bool = False  # the page returns to ?next= (the expert's list) if given

    @property
    def path(self) -> str:
        return self.url_path or self.name


ACTIONS: tuple[BookingAction, ...] = (
    BookingAction("request_hold", services.request_hold, None, url_path="request"),
    BookingAction(
        "confirm",
        services.confirm,
        SeenSerializer,
        page="bestaetigen",
        done=_("Der Termin ist bestätigt."),
        back_to_next=True,
    ),
    BookingAction(
        "decline",
        services.decline,
        ReasonSerializer,
        page="ablehnen",
        form=DeclineForm,
        done=_("Die Anfrage ist abgelehnt; die Kommune wird informiert."),
        back_to_next=True,
    ),
    BookingAction(
        "cancel",
        services.cancel,
        ReasonSerializer,
        page="absagen",
        form=ReasonForm,
        done=_("Der Termin ist abgesagt."),
    ),
    BookingAction(
        "reschedule",
        services.reschedule,
        RescheduleSerializer,
        page="verschieben",
        form=RescheduleForm,
        done=_("Der Termin ist verschoben; die Expert*in bestätigt den neuen Termin."),
    ),
    BookingAction(
        "complete",
        services.complete,
        None,
        page="durchgefuehrt",
        done=_("Der Termin ist als durchgeführt vermerkt."),
        back_to_next=True,
    ),
    BookingAction("no_show", services.no_show, None, url_path="no-show"),
    BookingAction(
        "feedback",
        services.give_feedback,
        FeedbackSerializer,
        page="bewertung",
        form=FeedbackForm,
        done=_("Danke für Ihre Rückmeldung!"),
    ),
)
BY_NAME = {action.name: action for action in ACTIONS}
PAGE_ACTIONS = tuple(action for action in ACTIONS if action.page)
