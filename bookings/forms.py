"""Forms of the booking and event pages (shape only; the services check the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from bookings.models import BookingMessage

# The services refuse longer reasons too; the form says so before the round trip.
MAX_REASON = 2000


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Begründung"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Begründung für die Absage"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Bitte nennen Sie der Kommune einen Grund.")},
    )


class SlotForm(forms.Form):
    """A start picked from the list of free slots (ISO 8601 with offset, as offered)."""

    start = forms.DateTimeField(
        label=_("Termin"), error_messages={"required": _("Bitte einen freien Termin wählen.")}
    )
    duration_minutes = forms.TypedChoiceField(label=_("Dauer"), coerce=int, choices=[])

    def __init__(self, *args: Any, durations: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["duration_minutes"].choices = [(d, d) for d in durations]


class RescheduleForm(forms.Form):
    start = forms.DateTimeField(
        label=_("Neuer Termin"),
        error_messages={"required": _("Bitte einen freien Termin wählen.")},
    )


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Wie hilfreich war die Beratung?"),
        coerce=int,
        choices=[
            (5, _("5 – sehr hilfreich")),
            (4, _("4 – hilfreich")),
            (3, _("3 – teils, teils")),
            (2, _("2 – wenig hilfreich")),
            (1, _("1 – nicht hilfreich")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Bitte eine Bewertung wählen.")},
    )
    comment = forms.CharField(
        label=_("Kommentar (freiwillig)"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RoomEntryForm(forms.Form):
    """Entering a consultation's online room: the name the others see there."""

    name = forms.CharField(
        label=_("Ihr Name im Online-Raum"),
        max_length=100,
        help_text=_("So sehen die anderen Teilnehmenden Sie in der Videokonferenz."),
        error_messages={"required": _("Bitte geben Sie Ihren Namen an.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"


class MessageForm(forms.Form):
    """One message in a consultation's thread (length and characters: bookings/messages.py)."""

    body = forms.CharField(
        label=_("Ihre Nachricht"),
        required=False,
        strip=False,
        help_text=format_lazy(
            _("Nur Text, höchstens {} Zeichen. Die andere Seite erhält sie per E-Mail."),
            BookingMessage.MAX_BODY,
        ),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": BookingMessage.MAX_BODY}),
    )


class StartsField(forms.Field):
    """Several starts ticked in a list of free slots (ISO 8601 with offset, as offered)."""

    widget = forms.MultipleHiddenInput  # reads every value of the name (the template draws it)

    def to_python(self, value: Any) -> list[Any]:
        if not value:
            return []
        parse = forms.DateTimeField(error_messages={"invalid": self.error_messages["invalid"]})
        return [parse.clean(item) for item in value]


class ProposeForm(forms.Form):
    """The expert's counter-proposal: up to three of their free slots and a note."""

    starts = StartsField(
        label=_("Andere Termine (bis zu drei)"),
        error_messages={
            "required": _("Bitte mindestens einen freien Termin wählen."),
            "invalid": _("Bitte Termine aus der Liste wählen."),
        },
    )
    note = forms.CharField(
        label=_("Anmerkung für die Kommune (freiwillig)"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AcceptProposalForm(forms.Form):
    start = forms.DateTimeField(
        label=_("Vorgeschlagener Termin"),
        error_messages={"required": _("Bitte einen der vorgeschlagenen Termine wählen.")},
    )
