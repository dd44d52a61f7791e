"""Forms of the library pages: search with filters, and the submission form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consult.choices import LANGUAGE_CHOICES, FederalState, ProcedureType, SizeClass
from consult.models import Topic
from core.uploads import FILE_MAX_BYTES
from core.validators import no_control_characters, no_control_characters_multiline
from library import search
from library.models import Resource
from library.services import EXPERT_KINDS, STAFF_KINDS

_ANY = [("", _("alle"))]


def _file_label_now() -> str:
    return gettext("Datei (PDF, PNG, JPEG oder WebP, höchstens %(mb)s MB)") % {
        "mb": FILE_MAX_BYTES // 1_048_576
    }


# Translated when the form is shown, in the viewer's language (not once at import).
_file_label = lazy(_file_label_now, str)


# The countries the library's entries come from (ISO 3166 alpha-2, as stored).
COUNTRY_CHOICES = [
    ("DE", _("Deutschland")),
    ("AT", _("Österreich")),
    ("CH", _("Schweiz")),
    ("FR", _("Frankreich")),
    ("PL", _("Polen")),
    ("PT", _("Portugal")),
    ("ES", _("Spanien")),
    ("IT", _("Italien")),
    ("IS", _("Island")),
    ("GB", _("Vereinigtes Königreich")),
    ("BR", _("Brasilien")),
    ("US", _("Vereinigte Staaten")),
]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Suchbegriff"), required=False, strip=False, widget=forms.SearchInput()
    )
    kind = forms.ChoiceField(label=_("Art"), required=False, choices=_ANY + Resource.Kind.choices)
    topic = forms.ChoiceField(label=_("Thema"), required=False)
    procedure_type = forms.ChoiceField(
        label=_("Verfahrensart"), required=False, choices=_ANY + ProcedureType.choices
    )
    state = forms.ChoiceField(
        label=_("Bundesland"), required=False, choices=_ANY + FederalState.choices
    )
    year = forms.IntegerField(label=_("Jahr"), required=False, min_value=1900, max_value=2100)
    # Examples from abroad are half of what the network promises: the API filters by country too.
    country = forms.ChoiceField(label=_("Land"), required=False, choices=_ANY + COUNTRY_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = _ANY + [(t.slug, t.name) for t in Topic.objects.all()]

    def clean_q(self) -> str:
        from core.errors import Invalid

        try:
            return search.clean_query(self.cleaned_data.get("q"))
        except Invalid as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None


def _multiple(label: Any, choices: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
    )


class SubmissionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Art"))
    title_de = forms.CharField(
        label=_("Titel (deutsch)"), max_length=250, validators=[no_control_characters]
    )
    title_en = forms.CharField(
        label=_("Titel (englisch, optional)"),
        max_length=250,
        required=False,
        validators=[no_control_characters],
    )
    summary_de = forms.CharField(
        label=_("Zusammenfassung (deutsch)"),
        max_length=4000,
        validators=[no_control_characters_multiline],
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    summary_en = forms.CharField(
        label=_("Zusammenfassung (englisch, optional)"),
        max_length=4000,
        validators=[no_control_characters_multiline],
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=50_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[no_control_characters_multiline],
    )
    url = forms.CharField(label=_("Link (http/https)"), max_length=500, required=False)
    file = forms.FileField(
        label=_file_label(),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.webp"}),
    )
    topics = forms.MultipleChoiceField(
        label=_("Themen"), required=False, widget=forms.CheckboxSelectMultiple
    )
    procedure_types = _multiple(_("Verfahrensarten"), ProcedureType.choices)
    size_classes = _multiple(_("Größenklassen"), SizeClass.choices)
    states = _multiple(_("Bundesländer"), FederalState.choices)
    language = forms.ChoiceField(label=_("Sprache"), choices=LANGUAGE_CHOICES, initial="de")
    year = forms.IntegerField(label=_("Jahr"), required=False, min_value=1980, max_value=2100)
    source = forms.CharField(
        label=_("Quelle"), max_length=250, required=False, validators=[no_control_characters]
    )
    licence = forms.CharField(
        label=_("Lizenz"), max_length=120, required=False, validators=[no_control_characters]
    )

    def __init__(self, *args: Any, kinds: frozenset[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = kinds or frozenset(Resource.Kind.values)
        self.fields["kind"].choices = [c for c in Resource.Kind.choices if c[0] in allowed]
        self.fields["topics"].choices = [(t.slug, t.name) for t in Topic.objects.all()]


def kinds_for(*, coordinator: bool, staff: bool, expert: bool) -> frozenset[str]:
    if coordinator:
        return frozenset(Resource.Kind.values) - {Resource.Kind.FUNDING}
    kinds: frozenset[str] = frozenset()
    if staff:
        kinds |= STAFF_KINDS
    if expert:
        kinds |= EXPERT_KINDS
    return kinds
