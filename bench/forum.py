"""Benchmark of the forum (exchange/): German full-text search over 100,000 posts, a thread page
with 500 posts, and the daily digest for 5,000 readers.

Creates its own scratch database (PostgreSQL `consult_bench_forum_<pid>` next to the one in
DATABASE_URL, or a scratch SQLite file, and says which), migrates it in a subprocess and
bulk-inserts synthetic threads and posts (Zipf-distributed German vocabulary with inflected
forms, so that some words are everywhere and most are rare). Tasks go to kombu's in-memory
broker: e-mail delivery is not measured, the outbox rows are written.

- search: the first page as the API serves it (count + 20 ranked threads with their opening
  post) for common, rare, inflected and two-word queries; reference: the bare index match
  (20 post ids, no rank, no count);
- thread page: `/austausch/forum/<id>/` with 500 posts rendered for a signed-in member, and its
  query count against a thread of 50 posts (constant: ratio 1);
- digest: `send_digests()` for 5,000 readers with 1-5 waiting posts each, to the outbox;
  reference: writing the same number of pre-rendered rows with `queue_many` alone.

Run: DATABASE_URL=postgres://… .venv/bin/python bench/forum.py [--smoke] [--json]
"""

from __future__ import annotations

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

SEARCH_TARGET_MS = 100.0
PAGE_TARGET_MS = 150.0
DIGEST_TARGET_S = 30.0
SCRATCH_DB = "consult_bench_forum"

STEMS = [
    ("Bürgerhaushalt", ["", "e", "es", "s", "en"]),
    ("Jugendbudget", ["", "s"]),
    ("Jugendlich", ["e", "en", "er"]),
    ("Schule", ["", "n"]),
    ("Kiezfonds", [""]),
    ("Abstimmung", ["", "en"]),
    ("Vorschlag", ["", "s"]),
    ("Vorschläg", ["e", "en"]),
    ("Öffentlichkeitsarbeit", [""]),
    ("Beteiligung", ["", "en"]),
    ("Verwaltung", ["", "en"]),
    ("Rechenschaft", [""]),
    ("Haushaltsrecht", ["", "s"]),
    ("Fördermittel", ["", "n"]),
    ("Stadtteil", ["", "e", "en"]),
    ("Plattform", ["", "en"]),
    ("Moderation", [""]),
    ("Bürgerjury", ["", "s"]),
    ("Plakat", ["", "e", "en"]),
    ("Evaluation", ["", "en"]),
    ("Umsetzung", ["", "en"]),
    ("Ratsbeschluss", ["", "es", "e"]),
    ("Budget", ["", "s"]),
    ("Kommune", ["", "n"]),
]
COMMON = ["und", "die", "der", "wir", "mit", "für", "eine", "ist", "auf", "nicht", "auch", "wie"]


class Text:
    """Zipf-distributed words: the domain's inflected forms, fillers and made-up rare words."""

    def __init__(self, rng: random.Random, size: int = 8000) -> None:
        self.rng = rng
        words = list(COMMON) + [stem + end for stem, ends in STEMS for end in ends]
        while len(words) < size:
            words.append(
                "".join(rng.choice("bcdfghklmnprstvwz") + rng.choice("aeiouäöü") for _ in range(3))
            )
        self.words = words
        weights = [1.0 / (rank + 1) for rank in range(len(words))]
        total, acc, self.cumulative = sum(weights), 0.0, []
        for weight in weights:
            acc += weight / total
            self.cumulative.append(acc)

    def __call__(self, n: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=n))


def populate_forum(n_posts: int, *, engine: str, seed: int = 7) -> list[int]:
    """Threads of 1-20 posts up to `n_posts`; returns the thread ids."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from consult.models import Topic
    from exchange import markdown, search
    from exchange.models import Post, Thread

    rng = random.Random(seed)
    text = Text(rng)
    topics = list(Topic.objects.values_list("pk", flat=True))
    User = get_user_model()
    authors = User.objects.bulk_create(
        [User(username=f"author-{i}", email=f"author-{i}@bench.example") for i in range(200)]
    )
    sqlite = engine == "SQLite"  # the stems feed FTS5; PostgreSQL's trigger reads the body
    now = timezone.now()
    thread_ids: list[int] = []
    made = 0
    while made < n_posts:
        with transaction.atomic():
            threads, bodies = [], []
            for _ in range(500):
                size = min(rng.randint(1, 20), n_posts - made) or 1
                title = text(rng.randint(3, 8))
                threads.append(
                    Thread(
                        title=title,
                        topic_id=rng.choice(topics),
                        kind=rng.choice(["question", "discussion"]),
                        author=rng.choice(authors),
                        post_count=size,
                        last_post_at=now,
                        search_text=search.stems(title) if sqlite else "",
                    )
                )
                bodies.append([text(rng.randint(20, 120)) for _ in range(size)])
                made += size
                if made >= n_posts:
                    break
            Thread.objects.bulk_create(threads)
            posts = [
                Post(
                    thread=thread,
                    author=rng.choice(authors),
                    body=body,
                    body_html=markdown.render(body),
                    search_text=search.stems(body) if sqlite else "",
                )
                for thread, thread_bodies in zip(threads, bodies, strict=True)
                for body in thread_bodies
            ]
            Post.objects.bulk_create(posts, batch_size=2000)
            firsts = {}
            for post in posts:
                firsts.setdefault(post.thread_id, post.pk)
            for thread in threads:
                thread.first_post_id = firsts[thread.pk]
            Thread.objects.bulk_update(threads, ["first_post"], batch_size=2000)
            thread_ids += [t.pk for t in threads]
    return thread_ids


def member(name: str):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from consult.models import Municipality, StaffMembership

    town, _ = Municipality.objects.get_or_create(
        slug="benchstadt",
        defaults={"name": "Benchstadt", "state": "Sachsen", "latitude": 51.3, "longitude": 12.4},
    )
    user = get_user_model().objects.create(username=name, email=f"{name}@bench.example")
    StaffMembership.objects.create(user=user, municipality=town)
    return user


def long_thread(n_posts: int, user) -> int:  # type: ignore[no-untyped-def]
    """A thread of `n_posts` written by two members quoting each other, with attachments rows."""
    from django.db import transaction

    from exchange import forum
    from exchange.models import Attachment, Post, Thread

    other = member(f"other-{n_posts}")
    thread = forum.create_thread(
        user=user, title="Lange Diskussion", body="Los geht's", topic_slug="youth-school"
    )
    text = Text(random.Random(n_posts))
    with transaction.atomic():
        posts = Post.objects.bulk_create(
            [
                Post(
                    thread=thread,
                    author=other if i % 2 else user,
                    body=(body := text(60)),
                    body_html=f"<p>{body}</p>\n",
                    quote_id=thread.first_post_id if i % 5 == 0 else None,
                    helpful_count=i % 3,
                )
                for i in range(n_posts - 1)
            ]
        )
        Attachment.objects.bulk_create(
            [
                Attachment(
                    post=p,
                    file=f"exchange/x{p.pk}.pdf",
                    name="a.pdf",
                    content_type="application/pdf",
                    size=1000,
                )
                for p in posts[::25]
            ]
        )
        Thread.objects.filter(pk=thread.pk).update(post_count=n_posts)
    return thread.pk


def populate_digest(readers: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from consult.models import Municipality, StaffMembership
    from exchange.models import DigestEntry, Post

    rng = random.Random(3)
    User = get_user_model()
    towns = Municipality.objects.bulk_create(
        [
            Municipality(
                name=f"Digest {i}", slug=f"digest-{i}", state="Sachsen", latitude=51, longitude=12
            )
            for i in range(50)
        ]
    )
    posts = list(Post.objects.order_by("-id").values_list("pk", flat=True)[:2000])
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(username=f"reader-{i}", email=f"reader-{i}@bench.example")
                for i in range(readers)
            ],
            batch_size=2000,
        )
        StaffMembership.objects.bulk_create(
            [StaffMembership(user=u, municipality=rng.choice(towns)) for u in users],
            batch_size=2000,
        )
        DigestEntry.objects.bulk_create(
            [
                DigestEntry(user=u, post_id=post, reason="thread")
                for u in users
                for post in rng.sample(posts, rng.randint(1, 5))
            ],
            batch_size=5000,
        )


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    args = parse_args(__doc__)
    n_posts = 3_000 if args.smoke else 100_000
    page_posts = 100 if args.smoke else 500
    readers = 300 if args.smoke else 5_000
    url, engine = scratch_database(SCRATCH_DB)
    os.environ["CELERY_BROKER_URL"] = "memory://"
    migrate(url, {"CELERY_BROKER_URL": "memory://"})
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from exchange import following, search, selectors
    from exchange.api import ThreadSerializer
    from exchange.models import Post
    from notifications.models import Notification
    from notifications.services import queue_many

    started = time.perf_counter()
    populate_forum(n_posts, engine=engine)
    if engine == "PostgreSQL":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE exchange_thread")
            cursor.execute("VACUUM ANALYZE exchange_post")
    load_s = time.perf_counter() - started
    if not args.json:
        print(
            f"database: {engine} (scratch: {connection.settings_dict['NAME']}); "
            f"{Post.objects.count():,} posts loaded in {load_s:.1f} s"
        )

    reader = member("bench-member")
    text = Text(random.Random(99))
    rng = random.Random(5)
    domain = [stem + rng.choice(ends) for stem, ends in STEMS]
    rare = text.words[300:3000]
    queries = (
        [rng.choice(domain) for _ in range(10)]
        + [rng.choice(rare) for _ in range(10)]
        + [f"{rng.choice(domain)} {rng.choice(rare)}" for _ in range(10)]
    )

    def first_page(q: str) -> None:
        threads = selectors.thread_list(user=reader, search_text=search.clean_query(q))
        threads.count()
        ThreadSerializer(list(threads[:20]), many=True).data  # noqa: B018

    def bare(q: str) -> None:
        if engine == "PostgreSQL":
            query = search._pg_query(q)
            list(Post.objects.filter(search_vector=query).values_list("id")[:20])
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT rowid FROM exchange_post_fts WHERE exchange_post_fts MATCH %s LIMIT 20",
                    [search.fts5_query(search.stems(q))],
                )
                cursor.fetchall()

    repeat = 1 if args.smoke else 3
    search_times: list[float] = []
    bare_times: list[float] = []
    for q in queries:
        first_page(q)
        search_times += timed(lambda q=q: first_page(q), repeat)
        bare_times += timed(lambda q=q: bare(q), repeat)

    client = Client()
    client.force_login(reader)
    short_id, long_id = long_thread(50, reader), long_thread(page_posts, reader)

    def page(thread_id: int) -> None:
        response = client.get(f"/austausch/forum/{thread_id}/")
        assert response.status_code == 200, response.status_code

    page(long_id)
    page_times = timed(lambda: page(long_id), 5 if args.smoke else 20)
    queries_for = {}
    for thread_id in (short_id, long_id):
        with CaptureQueriesContext(connection) as captured:
            page(thread_id)
        queries_for[thread_id] = len(captured.captured_queries)

    populate_digest(readers)
    started = time.perf_counter()
    sent = following.send_digests()
    digest_s = time.perf_counter() - started
    assert sent == readers, (sent, readers)
    template = Notification.objects.filter(kind="forum_digest").first()
    rows = [
        Notification(
            recipient=f"ref-{i}@bench.example",
            kind="reference",
            subject=template.subject,
            body_text=template.body_text,
            body_html=template.body_html,
            dedup_key=f"ref-{i}",
            headers=template.headers,
        )
        for i in range(readers)
    ]
    started = time.perf_counter()
    with transaction.atomic():
        queue_many(rows)
    reference_s = time.perf_counter() - started

    median = statistics.median
    on_pg = engine == "PostgreSQL"
    emit(
        [
            Row(
                f"forum search first page, {n_posts:,} posts, {engine} (median)",
                median(search_times),
                "ms",
                reference=median(bare_times),
                target=SEARCH_TARGET_MS if on_pg and not args.smoke else None,
            ),
            Row(
                f"forum search first page, {engine} (p95)",
                statistics.quantiles(search_times, n=20)[18],
                "ms",
            ),
            Row(
                f"thread page with {page_posts} posts, {engine} (median)",
                median(page_times),
                "ms",
                target=PAGE_TARGET_MS if not args.smoke else None,
            ),
            Row(
                f"queries, thread page {page_posts} posts (reference: 50 posts)",
                float(queries_for[long_id]),
                "queries",
                reference=float(queries_for[short_id]),
                target=float(queries_for[short_id]),
            ),
            Row(
                f"daily digest for {readers:,} readers to the outbox, {engine}",
                digest_s,
                "s",
                reference=reference_s,
                target=DIGEST_TARGET_S if not args.smoke else None,
            ),
        ],
        as_json=args.json,
    )
    if not on_pg and not args.json:
        print("note: ran on SQLite; the search target applies to PostgreSQL (DATABASE_URL=…)")


if __name__ == "__main__":
    main()
