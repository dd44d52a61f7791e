"""Forms of the expert pages: profile, weekly availability, exceptions (shape only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consult.choices import LANGUAGE_CHOICES, FederalState, ProcedureType, SizeClass
from consult.models import Topic
from core.validators import no_control_characters
from experts.models import (
    PROFILE_FIELDS,
    PROFILE_LISTS,
    AvailabilityException,
    AvailabilityRule,
    ExpertProfile,
)

LEVEL_CHOICES = [
    ("", _("kein Schwerpunkt")),
    ("1", _("Grundkenntnisse")),
    ("2", _("erfahren")),
    ("3", _("ausgewiesene Expertise")),
]


def _minutes(n: int) -> str:
    return gettext("%(n)d Minuten") % {"n": n}


# Lazy: the label is translated when the page is rendered, in the viewer's language.
DURATION_CHOICES = [(m, lazy(_minutes, str)(m)) for m in (30, 45, 60, 90, 120)]
FORMAT_CHOICES = [("online", _("Online")), ("onsite", _("Vor Ort"))]
# Plain fields of the profile edited as they are (lists and topics are handled below).
SCALAR_FIELDS = tuple(f for f in PROFILE_FIELDS if f not in (*PROFILE_LISTS, "durations"))
LIST_FIELDS = PROFILE_LISTS


class ProfileForm(forms.ModelForm):
    """The expert's own profile; topics as one level select per topic."""

    procedure_types = forms.MultipleChoiceField(
        label=_("Verfahrensarten, mit denen Sie Erfahrung haben"),
        choices=ProcedureType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    size_classes = forms.MultipleChoiceField(
        label=_("Größe der Kommunen, die Sie beraten haben"),
        choices=SizeClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    states = forms.MultipleChoiceField(
        label=_("Bundesländer, in denen Sie beraten"),
        choices=FederalState.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Sprachen"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Mindestens eine Sprache.")},
    )
    formats = forms.MultipleChoiceField(
        label=_("Formate"),
        choices=FORMAT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Mindestens ein Format.")},
    )
    durations = forms.TypedMultipleChoiceField(
        label=_("Angebotene Beratungsdauern"),
        choices=DURATION_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Mindestens eine Dauer.")},
    )

    meeting_url = forms.URLField(
        label=_("Ständiger Online-Raum"), required=False, assume_scheme="https"
    )

    class Meta:
        model = ExpertProfile
        fields = SCALAR_FIELDS
        widgets = {
            "bio_de": forms.Textarea(attrs={"rows": 4}),
            "bio_en": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        expert = self.instance
        levels = {t.topic.slug: t.level for t in expert.topic_levels.select_related("topic")}
        for topic in Topic.objects.all():
            self.fields[f"topic_{topic.slug}"] = forms.ChoiceField(
                label=topic.name, choices=LEVEL_CHOICES, required=False
            )
            if not self.is_bound and topic.slug in levels:
                self.initial[f"topic_{topic.slug}"] = str(levels[topic.slug])
        if not self.is_bound:
            for name in (*LIST_FIELDS, "durations"):
                self.initial[name] = list(getattr(expert, name) or [])

    def topic_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("topic_")]

    def _post_clean(self) -> None:
        # The service, not the model instance, validates and saves: skip ModelForm's
        # instance construction and model validation here.
        pass

    def profile_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {name: data[name] for name in SCALAR_FIELDS}
        fields.update({name: list(data[name]) for name in LIST_FIELDS})
        fields["durations"] = list(data["durations"])
        fields["topics"] = [
            {"topic": name.removeprefix("topic_"), "level": int(value)}
            for name, value in data.items()
            if name.startswith("topic_") and value
        ]
        return fields


class RuleForm(forms.Form):
    """One weekly window (added to the existing ones)."""

    weekday = forms.TypedChoiceField(
        label=_("Wochentag"), choices=AvailabilityRule.Weekday.choices, coerce=int
    )
    start = forms.TimeField(label=_("von"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("bis"), widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] <= cleaned["start"]:
            self.add_error("end", _("Das Ende muss nach dem Beginn liegen."))
        return cleaned


class ExceptionForm(forms.Form):
    day = forms.DateField(
        label=_("Datum"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(
        label=_("Art"),
        choices=AvailabilityException.Kind.choices,
        initial=AvailabilityException.Kind.BLOCK,
    )
    start = forms.TimeField(
        label=_("von (leer: ganzer Tag)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    end = forms.TimeField(
        label=_("bis (leer: ganzer Tag)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    note = forms.CharField(
        label=_("Notiz (nur für Sie)"),
        max_length=200,
        required=False,
        validators=[no_control_characters],
    )

    def clean_day(self) -> dt.date:
        # An exception for a past day changes nothing and would not be listed again.
        day = self.cleaned_data["day"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("Liegt in der Vergangenheit."), code="past")
        return day
