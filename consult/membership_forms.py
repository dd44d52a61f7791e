"""Forms of joining, deciding, the first password and an organisation's people (shape only;
the rules are in consult/membership.py and consult/people.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from consult.choices import FederalState, OrganisationKind
from consult.joining_models import LANGUAGES
from consult.membership import Applicant
from consult.models import StaffMembership


class ApplicationForm(forms.Form):
    organisation_name = forms.CharField(
        label=_("Name der Organisation oder Kommune"),
        max_length=200,
        help_text=_("Für Einzelpersonen: Ihr Name."),
    )
    kind = forms.ChoiceField(label=_("Art"), choices=OrganisationKind.choices)
    country = forms.CharField(
        label=_("Land"),
        initial="DE",
        min_length=2,
        max_length=2,
        help_text=_("Ländercode nach ISO 3166, z. B. DE, AT, CH, FR."),
    )
    state = forms.ChoiceField(
        label=_("Bundesland"),
        choices=[("", _("– bitte wählen –")), *FederalState.choices],
        required=False,
        help_text=_("Nur für Deutschland, dort nötig."),
    )
    ags = forms.CharField(
        label=_("Amtlicher Gemeindeschlüssel (AGS)"),
        max_length=8,
        required=False,
        help_text=_(
            "Freiwillig, nur für Kommunen in Deutschland: 8 Ziffern. Beim Tippen des Namens "
            "schlagen wir passende Städte vor."
        ),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "list": "ags-suggestions", "autocomplete": "off"}
        ),
    )
    website = forms.URLField(
        label=_("Website"), required=False, max_length=200, assume_scheme="https"
    )
    contact_name = forms.CharField(label=_("Ihr Name"), max_length=200)
    email = forms.EmailField(label=_("Ihre E-Mail-Adresse"), max_length=254)
    language = forms.ChoiceField(label=_("Sprache der E-Mails"), choices=LANGUAGES)
    consent = forms.BooleanField(
        label=_(
            "Ich bin einverstanden, dass das Netzwerk meine Angaben speichert, um über den "
            "Antrag zu entscheiden und mir dazu zu schreiben."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # While the name is typed, htmx fills the AGS field's suggestions (works without JS too:
        # the AGS is optional and checked on submit).
        self.fields["organisation_name"].widget.attrs.update(
            {
                "autocomplete": "organization",
                "hx-get": reverse("membership-cities"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#ags-suggestions",
                "hx-swap": "innerHTML",
            }
        )
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def applicant(self) -> Applicant:
        data = self.cleaned_data
        return Applicant(
            organisation_name=data["organisation_name"],
            kind=data["kind"],
            country=data["country"].upper(),
            state=data["state"],
            ags=data["ags"],
            website=data["website"],
            contact_name=data["contact_name"],
            email=data["email"],
            language=data["language"],
            consent=data["consent"],
        )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Begründung (geht an die Antragstellenden)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class RequestInfoForm(forms.Form):
    message = forms.CharField(
        label=_("Rückfrage (geht an die Antragstellenden)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class FirstPasswordForm(SetPasswordForm):
    """Django's SetPasswordForm (the password validators, the mismatch check) with the field
    names the issue asks for: password1, password2."""

    new_password1 = None
    new_password2 = None
    password1, password2 = SetPasswordForm.create_password_fields(
        label1=_("Neues Passwort"), label2=_("Neues Passwort wiederholen")
    )

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("password1", "password2")
        self.validate_password_for_user(self.user, "password2")
        return forms.Form.clean(self)

    def save(self, commit: bool = True) -> Any:
        return self.set_password_and_save(self.user, "password1", commit=commit)


class InvitationAcceptForm(FirstPasswordForm):
    name = forms.CharField(label=_("Ihr Name"), max_length=200)

    field_order = ["name", "password1", "password2"]

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.order_fields(self.field_order)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-Mail-Adresse der Kollegin oder des Kollegen"))
    role = forms.ChoiceField(
        label=_("Rolle"), choices=StaffMembership.Role.choices, initial="staff"
    )
    language = forms.ChoiceField(label=_("Sprache der Einladung"), choices=LANGUAGES)
