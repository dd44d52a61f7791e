"""Forms of the debate, news and partner network pages (shape only; rules in the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from consult.choices import OrganisationKind
from exchange.forms import BODY_HELP, topic_choices
from library.models import Resource

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DebateForm(forms.Form):
    title_de = forms.CharField(label=_("Titel (Deutsch)"), max_length=200)
    title_en = forms.CharField(label=_("Titel (Englisch)"), max_length=200, required=False)
    description_de = forms.CharField(
        label=_("Beschreibung (Deutsch)"),
        widget=forms.Textarea,
        max_length=20_000,
        help_text=BODY_HELP,
    )
    description_en = forms.CharField(
        label=_("Beschreibung (Englisch)"),
        widget=forms.Textarea,
        max_length=20_000,
        required=False,
    )
    topic = forms.ChoiceField(label=_("Thema"))
    starts_at = forms.DateTimeField(label=_("Beginn"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ende"), widget=DATETIME)
    invited_kinds = forms.MultipleChoiceField(
        label=_("Eingeladen sind"),
        choices=OrganisationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Die Mitarbeitenden dieser Organisationen bekommen eine Einladung per E-Mail."),
    )
    materials = forms.ModelMultipleChoiceField(
        label=_("Material aus der Bibliothek"),
        queryset=Resource.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = topic_choices()
        self.fields["materials"].queryset = Resource.objects.filter(
            status=Resource.Status.PUBLISHED
        ).order_by("title_de")


class SummaryForm(forms.Form):
    summary_de = forms.CharField(
        label=_("Zusammenfassung (Deutsch)"),
        widget=forms.Textarea,
        max_length=40_000,
        help_text=BODY_HELP,
    )
    summary_en = forms.CharField(
        label=_("Zusammenfassung (Englisch)"),
        widget=forms.Textarea,
        max_length=40_000,
        required=False,
    )
    public = forms.BooleanField(
        label=_("Öffentlich lesbar (sonst nur für Mitglieder)"), required=False
    )


class ContributionForm(forms.Form):
    body = forms.CharField(
        label=_("Ihr Beitrag"), widget=forms.Textarea, max_length=20_000, help_text=BODY_HELP
    )


class NewsForm(forms.Form):
    title_de = forms.CharField(label=_("Titel (Deutsch)"), max_length=200)
    title_en = forms.CharField(label=_("Titel (Englisch)"), max_length=200, required=False)
    body_de = forms.CharField(
        label=_("Text (Deutsch)"), widget=forms.Textarea, max_length=20_000, help_text=BODY_HELP
    )
    body_en = forms.CharField(
        label=_("Text (Englisch)"), widget=forms.Textarea, max_length=20_000, required=False
    )
    published_at = forms.DateTimeField(
        label=_("Veröffentlichen am"),
        widget=DATETIME,
        required=False,
        help_text=_("Leer lassen für einen Entwurf."),
    )


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.URLField(label=_("Adresse"), max_length=300, assume_scheme="https")
    description_de = forms.CharField(
        label=_("Beschreibung (Deutsch)"), widget=forms.Textarea, max_length=2000
    )
    description_en = forms.CharField(
        label=_("Beschreibung (Englisch)"), widget=forms.Textarea, max_length=2000, required=False
    )
    offers_de = forms.CharField(
        label=_("Was es bietet (Deutsch)"), widget=forms.Textarea, max_length=2000
    )
    offers_en = forms.CharField(
        label=_("Was es bietet (Englisch)"), widget=forms.Textarea, max_length=2000, required=False
    )
    position = forms.IntegerField(label=_("Reihenfolge"), min_value=0, max_value=1000, initial=0)
