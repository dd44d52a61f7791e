"""Full-text search: FTS5 on SQLite, tsvector + GIN on PostgreSQL (marked), same behaviour."""

from __future__ import annotations

import pytest
from django.db import connection

from core.errors import Invalid
from library import search
from library.models import Resource
from library.selectors import SearchParams, headlines_for, search_resources
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db


def _search(q: str = "", **filters: object) -> list[Resource]:
    from django.contrib.auth.models import AnonymousUser

    params = SearchParams(q=search.clean_query(q), **filters)  # type: ignore[arg-type]
    return list(search_resources(user=AnonymousUser(), params=params))


@pytest.fixture
def library() -> dict[str, Resource]:
    return {
        "title": ResourceFactory(
            title_de="Jugendbudget in Leipzig",
            summary_de="Wie Jugendliche über Geld entscheiden.",
            kind="example",
            states=["Sachsen"],
            procedure_types=["youth-budget"],
            year=2023,
            topic_slugs=["youth-school"],
        ),
        "body": ResourceFactory(
            title_de="Leitfaden Beteiligung",
            summary_de="Allgemeine Hinweise.",
            body="Ein Abschnitt behandelt auch das Jugendbudget am Rande.",
            kind="procedure",
            year=2021,
        ),
        "english": ResourceFactory(
            title_de="Bürgerhaushalt Porto Alegre",
            title_en="Participatory budgeting in Porto Alegre",
            summary_de="Das Vorbild aus Brasilien.",
            summary_en="The Brazilian model of neighbourhood assemblies.",
            kind="example",
            countries=["BR"],
            language="en",
            year=2019,
        ),
        "draft": ResourceFactory(
            title_de="Jugendbudget Entwurf", status="draft", published_at=None
        ),
    }


def test_title_hit_ranks_above_body_hit_and_drafts_stay_hidden(library) -> None:  # type: ignore[no-untyped-def]
    found = _search("Jugendbudget")
    assert found[:2] == [library["title"], library["body"]]
    assert library["draft"] not in found
    assert found[0].rank > found[1].rank


def test_english_words_find_the_english_summary(library) -> None:  # type: ignore[no-untyped-def]
    assert _search("assemblies") == [library["english"]]


def test_filters_combine_with_the_query(library) -> None:  # type: ignore[no-untyped-def]
    assert _search("Jugendbudget", kind="procedure") == [library["body"]]
    assert _search("Jugendbudget", state="Sachsen") == [library["title"]]
    assert _search(procedure_type="youth-budget") == [library["title"]]
    assert _search(topic="youth-school") == [library["title"]]
    assert _search(year=2019) == [library["english"]]
    assert _search(country="BR") == [library["english"]]
    assert _search("Jugendbudget", year=1999) == []


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "NEAR(a b) OR * AND NOT ^ : { } ( ) -- ;",
        "title_de:Leipzig",
        "\x00Jugendbudget\x00",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "***",
    ],
)
def test_operator_soup_gives_a_safe_result(library, query: str) -> None:  # type: ignore[no-untyped-def]
    found = _search(query)
    assert all(r.status == "published" for r in found)


def test_query_longer_than_500_characters_is_refused_with_the_field_named() -> None:
    with pytest.raises(Invalid) as caught:
        search.clean_query("Jugend " * 2000)
    assert "q" in caught.value.fields


def test_words_are_quoted_for_fts5() -> None:
    assert search.fts5_query('Jugend* OR "x" NEAR(a)') == '"Jugend" "OR" "x" "NEAR" "a"'


def test_highlight_marks_hits_and_escapes_html(db) -> None:  # type: ignore[no-untyped-def]
    resource = ResourceFactory(
        title_de="Plakate",
        summary_de="<script>alert('x')</script> Plakatkampagne & Jugendbudget für alle",
    )
    (found,) = _search("Jugendbudget")
    html = headlines_for([found], "Jugendbudget")[resource.pk]
    assert "<mark>Jugendbudget</mark>" in html
    # SQLite escapes the tag; PostgreSQL's parser drops it. Neither lets it through as HTML.
    assert "<script" not in html
    assert "alert(&#x27;x&#x27;)" in html
    assert "&amp;" in html


def test_highlight_html_balances_marks() -> None:
    marked = f"{search.MARK_START}a<b{search.MARK_START}{search.MARK_END}{search.MARK_END}"
    assert search.highlight_html(marked) == "<mark>a&lt;b</mark>"


def test_index_follows_edits_and_deletes(db) -> None:  # type: ignore[no-untyped-def]
    resource = ResourceFactory(title_de="Kiezfonds Neukölln")
    assert _search("Kiezfonds") == [resource]
    resource.title_de = "Stadtteilfonds Neukölln"
    resource.save()
    assert _search("Kiezfonds") == []
    assert _search("Stadtteilfonds") == [resource]
    resource.delete()
    assert _search("Stadtteilfonds") == []


def test_install_repairs_missing_triggers(db) -> None:  # type: ignore[no-untyped-def]
    search.uninstall(connection)
    search.install(connection)
    resource = ResourceFactory(title_de="Bürgerjury Jena")
    assert _search("Bürgerjury") == [resource]


@pytest.mark.postgres
def test_postgres_uses_german_stemming_and_the_gin_index(library) -> None:  # type: ignore[no-untyped-def]
    # "Jugendlichen" and "Jugendliche" share a German stem.
    assert _search("Jugendlichen") == [library["title"]]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'library_resource_search_gin'"
        )
        (definition,) = cursor.fetchone()
    assert "gin" in definition.lower()


@pytest.mark.postgres
def test_postgres_websearch_syntax_is_accepted(library) -> None:  # type: ignore[no-untyped-def]
    assert _search('"Jugendbudget in Leipzig" -Entwurf') == [library["title"]]
