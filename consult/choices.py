"""Vocabularies of the domain (stored values in English, labels German first).

They live on the ground floor because plans, requests, experts and the library all speak them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from consult.peers import size_class

__all__ = ["size_class"]  # one definition, shared with the pure peer matcher


class FederalState(models.TextChoices):
    BW = "Baden-Württemberg", "Baden-Württemberg"
    BY = "Bayern", _("Bayern")
    BE = "Berlin", "Berlin"
    BB = "Brandenburg", "Brandenburg"
    HB = "Bremen", "Bremen"
    HH = "Hamburg", "Hamburg"
    HE = "Hessen", _("Hessen")
    MV = "Mecklenburg-Vorpommern", _("Mecklenburg-Vorpommern")
    NI = "Niedersachsen", _("Niedersachsen")
    NW = "Nordrhein-Westfalen", _("Nordrhein-Westfalen")
    RP = "Rheinland-Pfalz", _("Rheinland-Pfalz")
    SL = "Saarland", "Saarland"
    SN = "Sachsen", _("Sachsen")
    ST = "Sachsen-Anhalt", _("Sachsen-Anhalt")
    SH = "Schleswig-Holstein", "Schleswig-Holstein"
    TH = "Thüringen", _("Thüringen")


class MunicipalityKind(models.TextChoices):
    GEMEINDE = "gemeinde", _("Gemeinde")
    STADT = "stadt", _("Stadt")
    LANDKREIS = "landkreis", _("Landkreis")
    BEZIRK = "bezirk", _("Bezirk")


class OrganisationKind(models.TextChoices):
    """Who can be a member: the four municipal kinds first, then everyone else (issue 17)."""

    GEMEINDE = "gemeinde", _("Gemeinde")
    STADT = "stadt", _("Stadt")
    LANDKREIS = "landkreis", _("Landkreis")
    BEZIRK = "bezirk", _("Bezirk")
    ASSOCIATION = "association", _("Verein oder Verband")
    SCHOOL = "school", _("Schule oder Schüler*innenvertretung")
    YOUTH_PARLIAMENT = "youth_parliament", _("Kinder- oder Jugendparlament")
    RESEARCH = "research", _("Forschungseinrichtung")
    NETWORK = "network", _("Netzwerk")
    PERSON = "person", _("Einzelperson")
    OTHER = "other", _("Andere Organisation")


MUNICIPAL_KINDS = frozenset(MunicipalityKind.values)


class Stage(models.TextChoices):
    IDEA = "idea", _("Idee")
    INTRODUCING = "introducing", _("Einführung")
    RUNNING = "running", _("Laufend")
    DEVELOPING = "developing", _("Weiterentwicklung")
    PAUSED = "paused", _("Pausiert")


class ProcedureType(models.TextChoices):
    CONSULTATION_BUDGET = "consultation-budget", _("Vorschlagsorientierter Konsultationshaushalt")
    CITIZENS_BUDGET = "citizens-budget", _("Bürgerbudget mit verbindlicher Abstimmung")
    NEIGHBOURHOOD_FUND = "neighbourhood-fund", _("Stadtteil-/Kiezfonds")
    YOUTH_BUDGET = "youth-budget", _("Jugendbudget")
    SCHOOL_BUDGET = "school-budget", _("Schulbudget")
    THEMATIC = "thematic", _("Thematischer Bürgerhaushalt")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    ONSITE = "onsite", _("Vor Ort")
    HYBRID = "hybrid", _("Hybrid")


class TargetGroup(models.TextChoices):
    YOUTH = "youth", _("Jugendliche")
    PUPILS = "pupils", _("Schüler*innen")
    SENIORS = "seniors", _("Senior*innen")
    MIGRANTS = "migrants", _("Menschen mit Migrationsgeschichte")
    FAMILIES = "families", _("Familien")
    ALL = "all", _("Alle Einwohner*innen")


class Phase(models.TextChoices):
    INFORMATION = "information", _("Information")
    PROPOSALS = "proposals", _("Vorschläge")
    FEASIBILITY = "feasibility", _("Machbarkeitsprüfung")
    DELIBERATION = "deliberation", pgettext_lazy("plan phase", "Beratung")
    VOTE = "vote", _("Abstimmung")
    IMPLEMENTATION = "implementation", _("Umsetzung")
    ACCOUNTABILITY = "accountability", _("Rechenschaft")


class ConsultationFormat(models.TextChoices):
    ONLINE = "online", _("Online")
    ONSITE = "onsite", _("Vor Ort")
    EITHER = "either", _("Egal")


class SizeClass(models.TextChoices):
    SMALL = "small", _("unter 20.000 Einwohner*innen")
    MEDIUM = "medium", _("20.000 bis 100.000")
    LARGE = "large", _("100.000 bis 500.000")
    METRO = "metro", _("über 500.000")


# ISO 639 codes the network's advisers work in; anything else is refused as unknown.
LANGUAGES: dict[str, str] = {
    "de": "Deutsch",
    "en": "English",
    "fr": "Français",
    "tr": "Türkçe",
    "ar": "العربية",
    "pl": "Polski",
    "ru": "Русский",
    "uk": "Українська",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "da": "Dansk",
    "hsb": "Hornjoserbšćina",
}
LANGUAGE_CHOICES = list(LANGUAGES.items())


def labels(values: Iterable[str] | None, choices: Iterable[tuple[str, Any]]) -> list[str]:
    """The readable names of stored choice values, in the active language (an unknown value,
    say from a hand-edited row, as it is)."""
    names = dict(choices)
    return [str(names.get(value, value)) for value in values or ()]
