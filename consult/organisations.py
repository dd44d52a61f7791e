"""Organisations (members): where they are — country, Land and AGS, checked against the shipped
city list, rules shared with applications (consult/membership.py) — and the writes of their data
(the API and the back office call the same functions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from consult.choices import MUNICIPAL_KINDS, FederalState, OrganisationKind
from consult.cities import city_by_ags
from consult.countries import GERMANY, is_country_code
from consult.models import Municipality
from core.errors import Conflict, FieldErrors, Invalid


@dataclass(frozen=True)
class Place:
    country: str
    state: str
    ags: str


def check_place(errors: FieldErrors, *, kind: str, country: str, state: str, ags: str) -> Place:
    """The place cleaned (upper-case country, the Land filled in from a known AGS); every broken
    rule is added to `errors` under its field, the kind's too (it decides who has an AGS)."""
    if kind not in OrganisationKind.values:
        errors.add("kind", _("Unbekannte Art der Organisation."))
    country = (country or "").strip().upper()
    state, ags = (state or "").strip(), (ags or "").strip()
    if not is_country_code(country):
        errors.add("country", _("Unbekannter Ländercode (ISO 3166-1 alpha-2, z. B. DE)."))
    if state and state not in FederalState.values:
        errors.add("state", _("Unbekanntes Bundesland."))
    elif state and country != GERMANY:
        errors.add("state", _("Ein Bundesland gibt es nur für Organisationen in Deutschland."))
    if ags:
        entry = city_by_ags(ags)
        if country != GERMANY:
            errors.add("ags", _("Einen Gemeindeschlüssel gibt es nur in Deutschland."))
        elif kind not in MUNICIPAL_KINDS:
            errors.add("ags", _("Einen Gemeindeschlüssel haben nur Kommunen."))
        elif not (len(ags) == 8 and ags.isdigit()):
            errors.add("ags", _("Der Gemeindeschlüssel hat genau 8 Ziffern."))
        elif entry is None:
            errors.add("ags", _("Diesen Gemeindeschlüssel kennen wir nicht."))
        elif state and state != entry.state:
            errors.add(
                "state",
                _("Der Gemeindeschlüssel gehört zu %(state)s.") % {"state": entry.state},
            )
        else:
            state = entry.state
    return Place(country=country, state=state, ags=ags)


def require_state_in_germany(errors: FieldErrors, place: Place) -> None:
    """A German organisation names its Land (after the other rules, so one message per field)."""
    if place.country == GERMANY and not place.state and "state" not in errors.fields:
        errors.add("state", _("Für Deutschland bitte das Bundesland angeben."))


# --- writes ---------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name.replace("ß", "ss")) or "kommune"
    slug, n = base, 2
    while Municipality.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_municipality(**fields: Any) -> Municipality:
    municipality = Municipality(**fields)
    municipality.slug = fields.get("slug") or _unique_slug(fields["name"])
    municipality.full_clean()
    municipality.save()
    return municipality


PLACE_FIELDS = ("kind", "country", "state", "ags")


def _checked_place(municipality: Municipality, fields: dict[str, Any]) -> dict[str, Any]:
    """The place fields of an edit, checked as an application's are (a known AGS of a German
    municipality, its Land); an AGS another member has is 409."""
    errors = FieldErrors()
    value = {name: fields.get(name, getattr(municipality, name)) for name in PLACE_FIELDS}
    place = check_place(
        errors, kind=value["kind"], country=value["country"], state=value["state"], ags=value["ags"]
    )
    require_state_in_germany(errors, place)
    errors.raise_if_any()
    others = Municipality.objects.exclude(pk=municipality.pk)
    if place.ags and others.filter(ags=place.ags).exists():
        message = _("Diesen Gemeindeschlüssel hat schon ein anderes Mitglied.")
        raise Conflict(message, code="ags_taken", fields={"ags": [message]})
    return {"country": place.country, "state": place.state, "ags": place.ags}


@transaction.atomic
def update_municipality(*, municipality: Municipality, **fields: Any) -> Municipality:
    """Change a member's data (the API and the back office). A changed place is checked against
    the shipped city list; a place left as it is is not (older members predate the list)."""
    if any(n in fields and fields[n] != getattr(municipality, n) for n in PLACE_FIELDS):
        fields = fields | _checked_place(municipality, fields)
    for name, value in fields.items():
        setattr(municipality, name, value)
    try:
        municipality.full_clean()
    except ValidationError as error:
        message = _("Bitte die markierten Angaben prüfen.")
        raise Invalid(message, fields=error.message_dict) from None
    municipality.save()
    return municipality
