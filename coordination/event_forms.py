"""The back office's event forms: the event, its sessions (a formset), participants, messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from consult import selectors as consult_selectors
from consult.choices import LANGUAGE_CHOICES
from core.roles import COORDINATOR
from events.models import Event, EventAudience

_LOCAL = {"type": "datetime-local"}
_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def organiser_choices() -> QuerySet[Any]:
    """Who may organise an event: coordinators and experts (the service checks it again)."""
    return (
        get_user_model()
        .objects.filter(Q(groups__name=COORDINATOR) | Q(expert_profile__isnull=False))
        .distinct()
        .order_by("username")
    )


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Art"), choices=Event.Kind.choices)
    title_de = forms.CharField(label=_("Titel (deutsch)"), max_length=200)
    title_en = forms.CharField(label=_("Titel (englisch)"), max_length=200, required=False)
    description_de = forms.CharField(
        label=_("Beschreibung (deutsch)"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    description_en = forms.CharField(
        label=_("Beschreibung (englisch)"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    target_audience = forms.CharField(
        label=_("Zielgruppe (in Worten)"), max_length=300, required=False
    )
    topics = forms.MultipleChoiceField(
        label=_("Themen"), required=False, widget=forms.CheckboxSelectMultiple
    )
    target_groups = forms.MultipleChoiceField(
        label=_("Zielgruppen"),
        required=False,
        choices=EventAudience.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(
        label=_("Sprache"), choices=LANGUAGE_CHOICES, initial="de", required=False
    )
    place = forms.CharField(label=_("Ort"), max_length=200, required=False)
    address = forms.CharField(label=_("Adresse"), max_length=300, required=False)
    online_url = forms.URLField(
        label=_("Online-Raum (Link)"), required=False, assume_scheme="https"
    )
    capacity = forms.IntegerField(label=_("Plätze"), min_value=1, max_value=100_000)
    registration_opens = forms.DateTimeField(
        label=_("Anmeldung ab"),
        input_formats=_FORMATS,
        widget=forms.DateTimeInput(_LOCAL, "%Y-%m-%dT%H:%M"),
    )
    registration_closes = forms.DateTimeField(
        label=_("Anmeldung bis"),
        input_formats=_FORMATS,
        widget=forms.DateTimeInput(_LOCAL, "%Y-%m-%dT%H:%M"),
    )
    organisers = forms.ModelMultipleChoiceField(
        label=_("Organisator*innen"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisers"].queryset = organiser_choices()
        self.fields["topics"].choices = [(t.slug, t.name) for t in consult_selectors.topics()]

    def values(self) -> dict[str, Any]:
        """What the management services take, without sessions and organisers."""
        data = dict(self.cleaned_data)
        data.pop("organisers", None)
        if not data.get("language"):  # not sent: German for a new event, unchanged for an edit
            data.pop("language", None)
        return data


class SessionForm(forms.Form):
    start = forms.DateTimeField(
        label=_("Beginn"),
        input_formats=_FORMATS,
        widget=forms.DateTimeInput(_LOCAL, "%Y-%m-%dT%H:%M"),
    )
    end = forms.DateTimeField(
        label=_("Ende"),
        input_formats=_FORMATS,
        widget=forms.DateTimeInput(_LOCAL, "%Y-%m-%dT%H:%M"),
    )


SessionFormSet = forms.formset_factory(SessionForm, extra=0, can_delete=True, max_num=50)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund der Absage"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DuplicateForm(forms.Form):
    shift_days = forms.IntegerField(
        label=_("Termine verschieben um (Tage)"),
        required=False,
        min_value=-3650,
        max_value=3650,
        help_text=_("Leer lassen, um die Termine danach selbst anzupassen."),
    )


class ParticipantForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-Mail"))
    language = forms.ChoiceField(
        label=_("Sprache"), choices=[("de", "Deutsch"), ("en", "English")], initial="de"
    )


class MessageForm(forms.Form):
    audience = forms.ChoiceField(
        label=_("An"),
        choices=[("participants", _("alle Teilnehmenden")), ("waitlist", _("die Warteliste"))],
    )
    subject = forms.CharField(label=_("Betreff"), max_length=150)
    body = forms.CharField(label=_("Nachricht"), max_length=10_000, widget=forms.Textarea)
