"""Forms of the municipal pages: the guided plan form and the request form.

Forms validate shape only (types, choices, required fields); rules of the domain live in the
services, whose errors the views put back onto these forms (``add_domain_error``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from consult.choices import (
    LANGUAGE_CHOICES,
    Channel,
    ConsultationFormat,
    Phase,
    ProcedureType,
    Stage,
    TargetGroup,
)
from consult.models import Topic
from core.errors import DomainError
from core.validators import no_control_characters, no_control_characters_multiline


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put a service's error next to the fields it names, or above the form.

    ``error.fields`` maps field names to messages (a list, or a dict for nested data); a name
    the form does not have puts the error's message above the form, so nothing is lost.
    """
    on_field = False
    for name, messages in (error.fields or {}).items():
        if name not in form.fields:
            continue
        values = messages.values() if isinstance(messages, dict) else [messages]
        for value in values:
            for text in value if isinstance(value, list | tuple) else [value]:
                form.add_error(name, str(text))
                on_field = True
    if not on_field or set(error.fields) - set(form.fields):
        form.add_error(None, error.message)


class PlanForm(forms.Form):
    """The guided plan form: every field of a participation plan, phases as dated rows."""

    title = forms.CharField(
        label=_("Titel"), max_length=200, required=False, validators=[no_control_characters]
    )
    stage = forms.ChoiceField(label=_("Stand"), choices=Stage.choices)
    procedure_type = forms.ChoiceField(label=_("Verfahrensart"), choices=ProcedureType.choices)
    budget_eur = forms.DecimalField(
        label=_("Budget (EUR)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Summe, über die die Bürger*innen mitentscheiden."),
    )
    channels = forms.MultipleChoiceField(
        label=_("Beteiligungswege"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    target_groups = forms.MultipleChoiceField(
        label=_("Zielgruppen"),
        choices=TargetGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Themen, zu denen Sie Unterstützung suchen"),
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Beschreibung"),
        required=False,
        max_length=10_000,
        validators=[no_control_characters_multiline],
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One start/end pair per phase: a person fills in what is planned and leaves the rest.
        for phase in Phase:
            self.fields[f"phase_{phase.value}_start"] = forms.DateField(
                label=_("%(phase)s: Beginn") % {"phase": phase.label},
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            self.fields[f"phase_{phase.value}_end"] = forms.DateField(
                label=_("%(phase)s: Ende") % {"phase": phase.label},
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

    @staticmethod
    def initial_from(plan: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "title": plan.title,
            "stage": plan.stage,
            "procedure_type": plan.procedure_type,
            "budget_eur": plan.budget_eur,
            "channels": list(plan.channels or []),
            "target_groups": list(plan.target_groups or []),
            "topics": list(plan.topics.all()),
            "description": plan.description,
        }
        for row in plan.phases or []:
            initial[f"phase_{row.get('phase')}_start"] = row.get("start") or None
            initial[f"phase_{row.get('phase')}_end"] = row.get("end") or None
        return initial

    def phase_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (phase.label, self[f"phase_{phase.value}_start"], self[f"phase_{phase.value}_end"])
            for phase in Phase
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for phase in Phase:
            start = cleaned.get(f"phase_{phase.value}_start")
            end = cleaned.get(f"phase_{phase.value}_end")
            if start and end and end < start:
                self.add_error(f"phase_{phase.value}_end", _("Das Ende liegt vor dem Beginn."))
            elif bool(start) != bool(end):
                missing = "end" if start else "start"
                self.add_error(
                    f"phase_{phase.value}_{missing}",
                    _("Bitte Beginn und Ende angeben (oder beides leer lassen)."),
                )
        return cleaned

    def plan_fields(self) -> dict[str, Any]:
        """The cleaned data in the shape of the plan service (phases as a list of dicts)."""
        data = self.cleaned_data
        phases = [
            {
                "phase": phase.value,
                "start": data[f"phase_{phase.value}_start"].isoformat(),
                "end": data[f"phase_{phase.value}_end"].isoformat(),
            }
            for phase in Phase
            if data.get(f"phase_{phase.value}_start") and data.get(f"phase_{phase.value}_end")
        ]
        return {
            "title": data["title"],
            "stage": data["stage"],
            "procedure_type": data["procedure_type"],
            "budget_eur": data["budget_eur"],
            "channels": list(data["channels"]),
            "target_groups": list(data["target_groups"]),
            "phases": phases,
            "topics": [t.slug for t in data["topics"]],
            "description": data["description"],
        }


WEIGHT_CHOICES = [
    ("", _("nicht nötig")),
    ("1", _("etwas wichtig")),
    ("2", _("wichtig")),
    ("3", _("sehr wichtig")),
]


class RequestForm(forms.Form):
    """A consultation request: topics with weights, format, language, window, duration."""

    plan = forms.TypedChoiceField(label=_("Vorhaben"), coerce=int)
    format = forms.ChoiceField(
        label=_("Format"), choices=ConsultationFormat.choices, initial="either"
    )
    language = forms.ChoiceField(label=_("Sprache"), choices=LANGUAGE_CHOICES, initial="de")
    earliest = forms.DateField(
        label=_("frühestens am"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    latest = forms.DateField(
        label=_("spätestens am"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    duration_minutes = forms.TypedChoiceField(
        label=_("Dauer"),
        coerce=int,
        choices=[
            (30, _("30 Minuten")),
            (60, _("60 Minuten")),
            (90, _("90 Minuten")),
            (120, _("120 Minuten")),
        ],
        initial=60,
    )
    notes = forms.CharField(
        label=_("Anmerkungen"),
        required=False,
        max_length=5000,
        validators=[no_control_characters_multiline],
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, plans: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(p.pk, str(p)) for p in plans]
        for topic in Topic.objects.all():
            self.fields[f"topic_{topic.slug}"] = forms.ChoiceField(
                label=topic.name, choices=WEIGHT_CHOICES, required=False
            )

    def topic_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("topic_")]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        earliest, latest = cleaned.get("earliest"), cleaned.get("latest")
        if earliest and latest and latest < earliest:
            self.add_error("latest", _("„spätestens“ liegt vor „frühestens“."))
        if not self.topics():
            self.add_error(None, _("Bitte mindestens ein Thema mit Gewicht wählen."))
        return cleaned

    def topics(self) -> list[dict[str, Any]]:
        return [
            {"topic": name.removeprefix("topic_"), "weight": int(value)}
            for name, value in self.cleaned_data.items()
            if name.startswith("topic_") and value
        ]

    def request_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "format": data["format"],
            "language": data["language"],
            "earliest": data["earliest"],
            "latest": data["latest"],
            "duration_minutes": data["duration_minutes"],
            "notes": data["notes"],
            "topics": self.topics(),
        }
