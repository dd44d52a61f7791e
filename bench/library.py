"""Benchmark of the practice library: full-text search and "for your plan" over 50,000 resources.

Creates its own scratch database (PostgreSQL: `consult_bench_library` next to the one in
DATABASE_URL, dropped and re-created; otherwise a scratch SQLite file, and it says so), migrates it
with `manage.py migrate` in a subprocess, bulk-inserts synthetic resources (Zipf-distributed
vocabulary, so that some words are everywhere and most are rare, as in real text) and measures:

- search: the first page as the API serves it (count, 20 ranked rows with topics, highlighted
  excerpts) over a mix of common and rare one- and two-word queries, with and without filters,
  against the bare match (20 ids, no rank, no count) as reference;
- "for your plan": ranked resources per kind plus eligible funding, with the matrix warm (built
  once per library revision), against the pure numpy scoring alone; and the cold matrix build.

Run: DATABASE_URL=postgres://… .venv/bin/python bench/library.py [--smoke] [--json]
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import Row, emit, parse_args  # noqa: E402
from scratch import migrate, scratch_database  # noqa: E402

SEARCH_TARGET_MS = 50.0
PLAN_TARGET_MS = 100.0
SCRATCH_DB = "consult_bench_library"


# --- synthetic text -------------------------------------------------------------------------------

DOMAIN = [
    "Bürgerhaushalt",
    "Jugendbudget",
    "Schulbudget",
    "Kiezfonds",
    "Bürgerbudget",
    "Abstimmung",
    "Vorschläge",
    "Öffentlichkeitsarbeit",
    "Beteiligung",
    "Verwaltung",
    "Rechenschaft",
    "Machbarkeitsprüfung",
    "Ratsbeschluss",
    "Haushaltsrecht",
    "Fördermittel",
    "Stadtteil",
    "Quartier",
    "Plattform",
    "Jugendliche",
    "Senior*innen",
    "Familien",
    "Inklusion",
    "Moderation",
    "Bürgerjury",
    "Zufallsauswahl",
    "Plakat",
    "Flyer",
    "Presse",
    "Evaluation",
    "Umsetzung",
    "participation",
    "budget",
    "youth",
    "school",
    "voting",
    "neighbourhood",
    "funding",
    "accountability",
    "outreach",
]
PREFIXES = [
    "Stadt",
    "Bürger",
    "Jugend",
    "Schul",
    "Kiez",
    "Rat",
    "Haus",
    "Klima",
    "Rad",
    "Spiel",
    "Park",
    "Sport",
    "Kultur",
    "Markt",
]
SUFFIXES = [
    "haushalt",
    "budget",
    "fonds",
    "platz",
    "weg",
    "garten",
    "halle",
    "projekt",
    "idee",
    "plan",
    "bank",
    "team",
    "forum",
]
CITIES = [
    "Leipzig",
    "Potsdam",
    "Jena",
    "Bonn",
    "Trier",
    "Paris",
    "Lissabon",
    "Warschau",
    "Cascais",
    "Görlitz",
    "Kassel",
]


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    words = list(DOMAIN) + [p + s for p in PREFIXES for s in SUFFIXES] + CITIES
    while len(words) < size:
        words.append(
            "".join(rng.choice("bcdfghklmnprstvwz") + rng.choice("aeiouäöü") for _ in range(3))
        )
    return words


class Text:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = vocabulary(rng)
        weights = [1.0 / (rank + 1) for rank in range(len(self.words))]
        total = sum(weights)
        self.cumulative = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cumulative.append(acc)

    def __call__(self, n: int) -> str:
        picks = self.rng.choices(self.words, cum_weights=self.cumulative, k=n)
        return " ".join(picks)


def populate(n: int, seed: int = 7) -> None:
    from django.db import transaction

    from consult.choices import FederalState, ProcedureType
    from consult.models import Municipality, ParticipationPlan, Topic
    from library.models import Resource

    rng = random.Random(seed)
    text = Text(rng)
    today = dt.date.today()
    topics = list(Topic.objects.all())
    kinds = list(Resource.Kind.values)
    states = list(FederalState.values)
    procedures = list(ProcedureType.values)
    through = Resource.topics.through
    batch = 2000
    for start in range(0, n, batch):
        rows = []
        for _ in range(min(batch, n - start)):
            kind = rng.choice(kinds)
            rows.append(
                Resource(
                    kind=kind,
                    title_de=text(rng.randint(3, 8)),
                    title_en=text(rng.randint(3, 6)) if rng.random() < 0.3 else "",
                    summary_de=text(rng.randint(15, 40)),
                    body=text(rng.randint(60, 200)),
                    procedure_types=rng.sample(procedures, rng.randint(0, 2)),
                    size_classes=rng.sample(
                        ["small", "medium", "large", "metro"], rng.randint(0, 2)
                    ),
                    states=rng.sample(states, rng.randint(0, 2)),
                    countries=["DE"],
                    language=rng.choice(["de", "de", "de", "en"]),
                    year=rng.randint(2010, 2026),
                    status="published" if rng.random() < 0.95 else "draft",
                    funder=text(2) if kind == "funding" else "",
                    eligible_states=rng.sample(states, rng.randint(0, 3))
                    if kind == "funding"
                    else [],
                    # Most programmes in a big library are closed; about a quarter are open.
                    deadline=today + dt.timedelta(days=rng.randint(-1000, 330))
                    if kind == "funding"
                    else None,
                )
            )
        with transaction.atomic():
            created = Resource.objects.bulk_create(rows)
            through.objects.bulk_create(
                [
                    through(resource_id=r.pk, topic_id=t.pk)
                    for r in created
                    for t in rng.sample(topics, rng.randint(1, 3))
                ]
            )
    municipality = Municipality.objects.create(
        name="Benchstadt",
        slug="benchstadt",
        state="Sachsen",
        population=60_000,
        latitude=51.3,
        longitude=12.4,
    )
    plan = ParticipationPlan.objects.create(
        municipality=municipality, procedure_type="youth-budget", title="Jugendbudget Bench"
    )
    plan.topics.set(Topic.objects.filter(slug__in=["youth-school", "public-relations", "funding"]))


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    args = parse_args(__doc__)
    n = 2_000 if args.smoke else 50_000
    url, engine = scratch_database(SCRATCH_DB)
    migrate(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.utils import timezone

    from consult.models import ParticipationPlan
    from library import search, selectors
    from library.relevance import recommend

    started = time.perf_counter()
    populate(n)
    if engine == "PostgreSQL":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE library_resource")
    load_s = time.perf_counter() - started
    if not args.json:
        print(
            f"database: {engine} (scratch: {connection.settings_dict['NAME']}); "
            f"{n:,} resources loaded in {load_s:.1f} s"
        )

    text = Text(random.Random(99))
    common = text.words[:40]
    rare = text.words[300:2000]
    rng = random.Random(5)
    queries = (
        [rng.choice(common) for _ in range(10)]
        + [rng.choice(rare) for _ in range(10)]
        + [f"{rng.choice(common)} {rng.choice(rare)}" for _ in range(10)]
    )
    filters = [
        {},
        {"kind": "example"},
        {"state": "Sachsen"},
        {"topic": "youth-school", "year": 2024},
    ]
    user = AnonymousUser()

    def first_page(q: str, extra: dict) -> None:
        params = selectors.SearchParams(q=search.clean_query(q), **extra)
        queryset = selectors.search_resources(user=user, params=params)
        queryset.count()
        page = list(queryset[:20])
        selectors.headlines_for(page, params.q)

    def bare(q: str) -> None:
        if engine == "PostgreSQL":
            from library.models import Resource

            list(Resource.objects.filter(search_vector=search._pg_query(q)).values_list("id")[:20])
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT rowid FROM library_resource_fts WHERE library_resource_fts MATCH %s "
                    "LIMIT 20",
                    [search.fts5_query(q)],
                )
                cursor.fetchall()

    repeat = 1 if args.smoke else 3
    search_times: list[float] = []
    bare_times: list[float] = []
    for q in queries:
        first_page(q, {})  # warm the caches once per query
        for extra in filters:
            search_times += timed(lambda q=q, extra=extra: first_page(q, extra), repeat)
        bare_times += timed(lambda q=q: bare(q), repeat)

    plan = ParticipationPlan.objects.select_related("municipality").get(title="Jugendbudget Bench")
    today = timezone.localdate()
    cold = timed(lambda: selectors.resource_matrix(), 1)[0]

    def for_plan() -> None:
        selectors.recommendations_for_plan(plan=plan, today=today)
        list(selectors.eligible_funding(municipality=plan.municipality, today=today))

    # Measured as a fresh request: the cache is warm, the plan is re-read.
    cold_build = timed(
        lambda: (selectors._matrix_cache.update(revision=None), selectors.resource_matrix()), 1
    )[0]
    plan_times = timed(for_plan, 20 if args.smoke else 50)
    matrix = selectors.resource_matrix()
    profile = selectors.plan_profile(plan)
    pure = timed(lambda: recommend(matrix, profile, this_year=today.year), 50)

    median = statistics.median
    rows = [
        Row(
            f"search first page, {n:,} resources, {engine} (median)",
            median(search_times),
            "ms",
            reference=median(bare_times),
            target=SEARCH_TARGET_MS if engine == "PostgreSQL" else None,
        ),
        Row(
            f"search first page, {engine} (p95)",
            statistics.quantiles(search_times, n=20)[18],
            "ms",
        ),
        Row(
            f"for your plan, {n:,} resources, {engine} (median, warm matrix)",
            median(plan_times),
            "ms",
            reference=median(pure),
            target=PLAN_TARGET_MS if engine == "PostgreSQL" else None,
        ),
        Row(f"matrix build (cold, {engine})", max(cold, cold_build), "ms"),
    ]
    emit(rows, as_json=args.json)
    if engine != "PostgreSQL" and not args.json:
        print(
            "note: ran on SQLite (the fallback); targets apply to PostgreSQL "
            "(set DATABASE_URL=postgres://…)"
        )


if __name__ == "__main__":
    main()
