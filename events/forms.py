"""Forms of the event pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# The services refuse longer reasons too; the form says so before the round trip.


class RegistrationForm(forms.Form):
    """Registering for a seminar or workshop: no account, double opt-in by e-mail."""

    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-Mail-Adresse"), max_length=254)
    municipality_name = forms.CharField(
        label=_("Organisation oder Kommune (freiwillig)"), max_length=200, required=False
    )
    consent = forms.BooleanField(
        label=_(
            "Ich bin einverstanden, dass meine Angaben für diese Veranstaltung gespeichert "
            "werden. Ich kann sie jederzeit über den Link in der E-Mail löschen."
        ),
        error_messages={"required": _("Bitte der Datenschutzerklärung zustimmen.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["municipality_name"].widget.attrs.update(
            autocomplete="organization", list="member-municipalities"
        )
