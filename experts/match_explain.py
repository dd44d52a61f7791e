"""The matcher's explanations: what a person reads about one match, in German and English."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from consult.peers import STATE_NAMES_EN
from experts.match_features import RequestFeatures

DISPLAY_TZ = ZoneInfo("Europe/Berlin")

_MONTHS_DE = (
    "Jan.",
    "Feb.",
    "März",
    "Apr.",
    "Mai",
    "Juni",
    "Juli",
    "Aug.",
    "Sept.",
    "Okt.",
    "Nov.",
    "Dez.",
)
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _when(slot: datetime) -> tuple[str, str]:
    local = slot.astimezone(DISPLAY_TZ) if slot.tzinfo is not None else slot
    month = local.month - 1
    return (
        f"{local.day}. {_MONTHS_DE[month]}, {local:%H:%M} Uhr",
        f"{local.day} {_MONTHS_EN[month]}, {local:%H:%M}",
    )


def _sentence(parts: list[str]) -> str:
    text = ", ".join(parts)
    return f"{text[:1].upper()}{text[1:]}." if text else ""


class Facts(NamedTuple):
    """What the explanation of one match says, gathered per row of the top N."""

    covered: int
    same_procedure: bool
    same_size: bool
    serves_state: bool
    onsite_ok: bool
    distance_km: float | None
    slot: datetime | None
    slots_known: bool
    # " Expertise: …" in German and English (`expertise_text`), or empty.
    expertise: tuple[str, str] = ("", "")


def explain(request: RequestFeatures, facts: Facts) -> tuple[str, str]:
    de: list[str] = []
    en: list[str] = []
    needed = len(request.topics)
    if needed == 1:
        # "1 von 1 benötigten Thema" is neither good German nor good English.
        negation = "" if facts.covered else " nicht"
        de.append(f"deckt das benötigte Thema{negation} ab")
        en.append("covers the needed topic" if facts.covered else "does not cover the needed topic")
    elif needed:
        de.append(f"deckt {facts.covered} von {needed} benötigten Themen ab")
        en.append(f"covers {facts.covered} of {needed} needed topics")
    if facts.same_procedure:
        de.append("Erfahrung mit dieser Verfahrensart")
        en.append("has worked with this procedure type")
    if facts.same_size:
        de.append("kennt Kommunen dieser Größe")
        en.append("knows municipalities of this size")
    if facts.serves_state:
        de.append(f"berät in {request.state}")
        en.append(f"advises in {STATE_NAMES_EN.get(request.state, request.state)}")
    if facts.distance_km is not None:
        de.append(f"{facts.distance_km:.0f} km entfernt")
        en.append(f"{facts.distance_km:.0f} km away")
    if request.format == "either" and not facts.onsite_ok:
        de.append("nur online")
        en.append("online only")
    if facts.slots_known:
        if facts.slot is None:
            de.append("kein freier Termin im Wunschzeitraum")
            en.append("no free slot in the window")
        else:
            when_de, when_en = _when(facts.slot)
            de.append(f"frei ab {when_de}")
            en.append(f"free from {when_en}")
    return _sentence(de) + facts.expertise[0], _sentence(en) + facts.expertise[1]


def expertise_text(
    request: RequestFeatures, levels: tuple[tuple[str, int], ...]
) -> tuple[str, str]:
    """The sentence naming the needed topics an expert covers with their levels (the request's
    weightiest first): " Expertise: Jugendbeteiligung (Stufe 3), …."; empty without any."""
    if not levels:
        return "", ""
    named = [(request.topic_names.get(slug, (slug, slug)), level) for slug, level in levels]
    de = ", ".join(f"{name_de} (Stufe {level})" for (name_de, _en), level in named)
    en = ", ".join(f"{name_en} (level {level})" for (_de, name_en), level in named)
    return f" Expertise: {de}.", f" Expertise: {en}."


_LEFT_OUT = {
    # reason: (German, English) for "n experts ..."
    "conflict": ("wegen eines Interessenkonflikts", "for a conflict of interest"),
    "language": ("ohne gemeinsame Sprache", "with no language in common"),
    "format": ("ohne mögliches Format", "with no feasible format"),
    "topics": (
        "ohne eines der benötigten Themen",
        "covering none of the needed topics",
    ),
}


def left_out_text(counts: Mapping[str, int]) -> tuple[str, str]:
    """What the coordinator reads about the experts a request left out, or ("", "")."""
    total = sum(counts.values())
    if not total:
        return "", ""
    de = [f"{n} {_LEFT_OUT[reason][0]}" for reason, n in counts.items() if n]
    en = [f"{n} {_LEFT_OUT[reason][1]}" for reason, n in counts.items() if n]
    noun_de = "Expert*in" if total == 1 else "Expert*innen"
    noun_en = "expert" if total == 1 else "experts"
    return (
        f"{total} {noun_de} nicht vorgeschlagen: {', '.join(de)}.",
        f"{total} {noun_en} not suggested: {', '.join(en)}.",
    )
