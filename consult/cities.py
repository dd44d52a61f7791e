"""The German cities data set shipped with the project (CC0, see consult/data/README.md)."""

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
            )
            for row in csv.DictReader(handle)
        )


def city(name: str) -> City:
    for entry in german_cities():
        if entry.name == name:
            return entry
    raise KeyError(name)
