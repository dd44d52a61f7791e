"""The public member directory: organisations that agreed to be listed, with nothing but kind,
state or country and the procedure type of their latest plan; counts per Land; a point map."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from consult.choices import FederalState
from consult.models import Municipality, ParticipationPlan

# Germany's border, coarsely (longitude, latitude): enough to place the points, drawn offline.
GERMANY_OUTLINE = (
    (6.1, 53.5), (7.0, 53.7), (8.5, 53.9), (8.6, 54.9), (9.9, 54.8), (11.0, 54.4), (12.3, 54.5),
    (13.6, 54.6), (14.2, 53.9), (14.4, 53.3), (14.1, 52.8), (14.7, 52.1), (14.7, 51.0),
    (14.3, 50.9), (12.9, 50.5), (12.1, 50.3), (12.5, 49.9), (13.8, 48.8), (13.0, 48.3),
    (13.0, 47.5), (12.2, 47.7), (10.5, 47.5), (9.6, 47.5), (8.6, 47.8), (7.6, 47.6),
    (7.5, 48.4), (8.2, 49.0), (6.4, 49.2), (6.1, 49.5), (6.4, 50.3), (6.0, 50.8), (5.9, 51.1),
    (6.2, 51.8), (6.8, 51.9), (7.0, 52.4), (6.7, 52.6), (7.2, 53.2),
)  # fmt: skip
WEST, EAST, SOUTH, NORTH = 5.5, 15.5, 47.0, 55.3
# Equirectangular with the longitude shrunk by cos(51°): Germany keeps its shape.
X_SCALE, Y_SCALE = 31.5, 50.0
MAP_WIDTH = round((EAST - WEST) * X_SCALE)
MAP_HEIGHT = round((NORTH - SOUTH) * Y_SCALE)


def listed_organisations(*, kind: str = "", state: str = "") -> QuerySet[Municipality]:
    """Listed organisations with their latest plan's procedure type (`procedure_type`); only
    public fields are read, so no contact can leak into a page or an answer."""
    latest_plan = ParticipationPlan.objects.filter(municipality=OuterRef("pk")).order_by(
        "-updated_at", "-id"
    )
    organisations = (
        Municipality.objects.filter(listed=True)
        .only(
            "id",
            "name",
            "kind",
            "state",
            "country",
            "website",
            "latitude",
            "longitude",
            "open_to_exchange",
        )
        .annotate(procedure_type=Subquery(latest_plan.values("procedure_type")[:1]))
        .order_by("name", "id")
    )
    if kind:
        organisations = organisations.filter(kind=kind)
    if state:
        organisations = organisations.filter(state=state)
    return organisations


def counts_per_state(organisations: Iterable[Municipality]) -> list[tuple[str, int]]:
    """Every Land with its number of listed organisations (zero included), then abroad."""
    counts = Counter(o.state for o in organisations if o.country == "DE" and o.state)
    return [(state, counts.get(state, 0)) for state in FederalState.values]


def project(longitude: float, latitude: float) -> tuple[float, float]:
    return (
        round((longitude - WEST) * X_SCALE, 1),
        round((NORTH - latitude) * Y_SCALE, 1),
    )


def outline_points() -> str:
    return " ".join(f"{x},{y}" for x, y in (project(lon, lat) for lon, lat in GERMANY_OUTLINE))


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    name: str


def map_points(organisations: Iterable[Municipality]) -> list[MapPoint]:
    """Points of the organisations inside the map's frame (abroad or unplaced ones are left to
    the table)."""
    points = []
    for o in organisations:
        if o.latitude is None or o.longitude is None:
            continue
        if not (WEST <= o.longitude <= EAST and SOUTH <= o.latitude <= NORTH):
            continue
        x, y = project(o.longitude, o.latitude)
        points.append(MapPoint(x=x, y=y, name=o.name))
    return points
