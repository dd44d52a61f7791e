"""Reviewed bandit findings: each is (file, bandit test id, the flagged source line) → why it is
safe. Matched on the line's text, not its number, so edits elsewhere in a file keep the entry;
a new finding, or a changed flagged line, fails tests/security/test_audit.py until reviewed.
pip-audit exceptions live in pip_audit_ignore.txt (one vulnerability id and its reason a line).
"""

from __future__ import annotations

_CONSTANT_SQL = (
    "only module constants (table, FTS table, column and bm25 names) are interpolated; "
    "the search text is always a bound parameter (%s)"
)
_INVARIANT = (
    "a type-narrowing invariant guaranteed by the database (PROTECT / a filtered query); "
    "without it the next line fails loudly anyway"
)

BANDIT_ACCEPTED: dict[tuple[str, str, str], str] = {
    (
        "bookings/services.py",
        "B101",
        "assert expert is not None  # PROTECT keeps a booked expert's row",
    ): _INVARIANT,
    ("experts/matching.py", "B101", "assert distance is not None and onsite_ok is not None"): (
        "both are computed for every non-online request just above; an invariant of the "
        "pure scoring function, covered by its tests"
    ),
    ("library/services.py", "B101", "assert programme.deadline is not None"): (
        "callers pass programmes selected by deadline__isnull=False; " + _INVARIANT
    ),
    (
        "consult/demo.py",
        "B105",
        'DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo logins, DEBUG only',
    ): "the documented demo password; seed_demo refuses unless DEMO_DATA_ALLOWED (never prod)",
    (
        "experts/demo.py",
        "B105",
        'DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo logins, DEBUG only',
    ): "the documented demo password; seed_demo refuses unless DEMO_DATA_ALLOWED (never prod)",
    ("experts/demo.py", "B311", 'rng = random.Random(options.get("seed", 2026))'): (
        "seeded, reproducible synthetic demo data: determinism is the point, not secrecy"
    ),
    (
        "notifications/delivery.py",
        "B311",
        "return timedelta(seconds=random.uniform(ceiling / 2, ceiling))",
    ): "jitter of the retry backoff; nothing secret depends on it",
    (
        "library/models.py",
        "B608",
        'f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)",  # noqa: S608',
    ): "lhs is the column SQL Django's compiler built; the value is a bound parameter",
    ("library/search.py", "B611", "rank = RawSQL("): _CONSTANT_SQL,
    ("library/search.py", "B608", 'f"SELECT -{_BM25} FROM {FTS_TABLE} "'): _CONSTANT_SQL,
    (
        "library/search.py",
        "B611",
        'ids = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (match,))',
    ): _CONSTANT_SQL,
    (
        "library/search.py",
        "B608",
        'ids = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (match,))',
    ): _CONSTANT_SQL,
    (
        "library/search.py",
        "B608",
        "f\"SELECT rowid, snippet({FTS_TABLE}, -1, %s, %s, '…', 24) FROM {FTS_TABLE} \"",
    ): _CONSTANT_SQL + "; the IN list is only %s placeholders, one per id",
    ("library/search.py", "B608", '"library_resource_fts_ai": f"""'): _CONSTANT_SQL,
    ("library/search.py", "B608", '"library_resource_fts_ad": f"""'): _CONSTANT_SQL,
    ("library/search.py", "B608", '"library_resource_fts_au": f"""'): _CONSTANT_SQL,
    (
        "library/search.py",
        "B608",
        "cursor.execute(f\"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')\")",
    ): _CONSTANT_SQL,
    (
        "bookings/room_services.py",
        "B310",
        "with urllib.request.urlopen(url, timeout=settings.BBB_TIMEOUT) as response:  # noqa: S310",
    ): (
        "the BigBlueButton create call: the URL is built from BBB_URL, whose http(s) scheme "
        "settings.py checks at start-up and meeting_rooms.Server checks again"
    ),
    (
        "library/search.py",
        "B703",
        'return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped',
    ): "highlight_html escapes every text piece and adds only balanced <mark> tags",
    (
        "library/search.py",
        "B308",
        'return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped',
    ): "highlight_html escapes every text piece and adds only balanced <mark> tags",
    **{
        (
            "consult/legal.py",
            test_id,
            "return mark_safe(html)  # noqa: S308 - cleaned by nh3 just above",
        ): (
            "a legal page's Markdown is rendered with raw HTML off and then cleaned by nh3 "
            "(allow-listed tags, http/https/mailto links only); tested with script and "
            "javascript: links in tests/consult/test_public_pages.py"
        )
        for test_id in ("B308", "B703")
    },
}
