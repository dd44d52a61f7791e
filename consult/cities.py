"""The German cities data set shipped with the project (see consult/data/README.md)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CITIES_CSV = Path(__file__).parent / "data" / "german-cities.csv"


@dataclass(frozen=True)
class City:
    name: str
    state: str
    district: str
    population: int | None
    latitude: float
    longitude: float
    ags: str = ""


@cache
def german_cities() -> tuple[City, ...]:
    with CITIES_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(
            City(
                name=row["name"],
                state=row["state"],
                district=row["district"],
                population=int(row["population"]) if row["population"] else None,
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                ags=row.get("ags") or "",
            )
            for row in csv.DictReader(handle)
        )


def city(name: str) -> City:
    for entry in german_cities():
        if entry.name == name:
            return entry
    raise KeyError(name)


@cache
def _by_ags() -> dict[str, City]:
    return {entry.ags: entry for entry in german_cities() if entry.ags}


def city_by_ags(ags: str) -> City | None:
    """The city with this official municipality key (Amtlicher Gemeindeschlüssel), or None."""
    return _by_ags().get(ags)


def suggest_cities(text: str, *, limit: int = 10) -> list[City]:
    """Cities whose name starts with `text` (case-insensitive), then those containing it;
    an 8-digit `text` finds the city with that AGS. Larger cities first within each group."""
    query = text.strip().casefold()
    if len(query) < 2:
        return []
    if query.isdigit():
        return [c for c in german_cities() if c.ags.startswith(query)][:limit]
    starts, contains = [], []
    for entry in german_cities():
        name = entry.name.casefold()
        if name.startswith(query):
            starts.append(entry)
        elif query in name:
            contains.append(entry)

    def by_size(c: City) -> tuple[int, str]:
        return (-(c.population or 0), c.name)

    return (sorted(starts, key=by_size) + sorted(contains, key=by_size))[:limit]
