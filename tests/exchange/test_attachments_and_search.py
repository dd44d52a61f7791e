"""Attachments checked by content and size; German full-text search on SQLite FTS5 and (marked)
PostgreSQL; script in posts stays inert end to end."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from exchange import forum, search
from exchange.models import Attachment, Post
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
HTML = b"<html><script>alert(1)</script></html>"


def _post_with(client, thread_id: int, name: str, content: bytes, content_type: str):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(
        f"/api/v1/threads/{thread_id}/posts/",
        {"body": "Siehe Anhang", "attachments": [upload]},
        format="multipart",
    )


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("konzept.pdf", PDF, "application/pdf"),
        ("plakat.png", PNG, "image/png"),
        ("foto.jpg", JPEG, "image/jpeg"),
        ("foto.jpeg", JPEG, "application/octet-stream"),
    ],
)
def test_pdf_and_images_are_attached_and_served_to_members(
    make_thread, answerer, asker, outsider, settings, tmp_path, name, content, content_type
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    thread = make_thread()
    response = _post_with(client_for(answerer), thread.pk, name, content, content_type)
    assert response.status_code == 201, response.json()
    (attached,) = response.json()["attachments"]
    assert attached["name"] == name
    client = client_for(asker)
    client.force_login(asker)
    served = client.get(attached["url"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == content
    assert "sandbox" in served["Content-Security-Policy"]
    other = client_for(outsider)
    other.force_login(outsider)
    assert other.get(attached["url"]).status_code == 404


@pytest.mark.parametrize(
    "name, content, content_type, code",
    [
        ("bericht.pdf", PNG, "application/pdf", "file_type_mismatch"),  # a PNG called .pdf
        ("bericht.pdf", HTML, "application/pdf", "file_type"),  # HTML called .pdf
        ("bild.png", HTML, "image/png", "file_type"),
        ("bild.svg", b"<svg onload=alert(1)></svg>", "image/svg+xml", "file_type"),
        ("bild.png", PNG, "text/html", "file_type_mismatch"),
        ("leer.pdf", b"", "application/pdf", "file_empty"),
    ],
)
def test_disguised_attachments_are_refused(
    make_thread, answerer, settings, tmp_path, name, content, content_type, code
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    thread = make_thread()
    response = _post_with(client_for(answerer), thread.pk, name, content, content_type)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "attachments" in response.json()["fields"]
    assert not Post.objects.filter(thread=thread, body="Siehe Anhang").exists()
    assert not Attachment.objects.exists()


def test_oversized_attachment_is_refused(make_thread, answerer, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    settings.EXCHANGE_ATTACHMENT_MAX_BYTES = 1024
    thread = make_thread()
    big = PDF + b"0" * 2000
    response = _post_with(client_for(answerer), thread.pk, "gross.pdf", big, "application/pdf")
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"


def test_script_in_a_post_is_inert_in_the_api_and_the_page(make_thread, answerer, asker) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread(body="<script>alert(1)</script> [x](javascript:alert(1))")
    data = client_for(asker).get(f"/api/v1/threads/{thread.pk}/").json()
    assert "<script" not in data["body_html"]
    assert (
        "javascript:" not in data["body_html"].split("&lt;")[0] or "href" not in data["body_html"]
    )
    forum.reply(user=answerer, thread_id=thread.pk, body="<img src=x onerror=alert(1)>")
    asker_client = client_for(asker)
    asker_client.force_login(asker)
    page = asker_client.get(f"/austausch/forum/{thread.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# --- search -------------------------------------------------------------------------------------


@pytest.fixture
def forum_posts(make_thread, answerer):  # type: ignore[no-untyped-def]
    youth = make_thread(
        title="Beteiligung von Jugendlichen",
        body="Wie erreichen wir die Jugendlichen an den Schulen?",
    )
    law = make_thread(
        title="Frage zum Haushaltsrecht",
        body="Darf der Rat das Budget kürzen?",
        topic="budget-law",
    )
    forum.reply(
        user=answerer, thread_id=law.pk, body="Die Bürgerhaushalte in Sachsen regeln das anders."
    )
    other = make_thread(title="Plakate", body="Welche Druckerei?", topic="public-relations")
    return {"youth": youth, "law": law, "other": other}


def _search(client, q: str) -> list[int]:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/threads/", {"search": q})
    assert response.status_code == 200, response.json()
    return [t["id"] for t in response.json()["results"]]


def test_search_finds_german_inflected_forms(forum_posts, asker) -> None:  # type: ignore[no-untyped-def]
    client = client_for(asker)
    # Title "Jugendlichen", query "Jugendliche"; reply "Bürgerhaushalte", query "Bürgerhaushalt".
    assert _search(client, "Jugendliche") == [forum_posts["youth"].pk]
    assert _search(client, "Bürgerhaushalt") == [forum_posts["law"].pk]
    assert _search(client, "Haushaltsrechts") == [forum_posts["law"].pk]
    assert _search(client, "Schule") == [forum_posts["youth"].pk]
    assert _search(client, "Druckereien") == [forum_posts["other"].pk]
    assert _search(client, "Zauberwort") == []


def test_title_hits_rank_above_reply_hits(make_thread, answerer, asker) -> None:  # type: ignore[no-untyped-def]
    in_reply = make_thread(title="Allgemeines", body="Erstmal nichts.")
    forum.reply(user=answerer, thread_id=in_reply.pk, body="Ein Wort zum Kiezfonds.")
    in_title = make_thread(title="Kiezfonds in Berlin", body="Erfahrungen?")
    assert _search(client_for(asker), "Kiezfonds") == [in_title.pk, in_reply.pk]


def test_hidden_posts_and_threads_are_not_found(forum_posts, answerer, asker, coord) -> None:  # type: ignore[no-untyped-def]
    from exchange import moderation

    reply = forum.reply(user=answerer, thread_id=forum_posts["other"].pk, body="Kiezfonds!")
    client = client_for(asker)
    assert _search(client, "Kiezfonds") == [forum_posts["other"].pk]
    moderation.moderate_post(user=coord, post_id=reply.pk, action="hide")
    assert _search(client, "Kiezfonds") == []
    moderation.moderate_thread(user=coord, thread_id=forum_posts["youth"].pk, action="hide")
    assert _search(client, "Jugendliche") == []


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(a b) OR *", "' OR 1=1 --", "***", "-"])
def test_operator_soup_gives_a_safe_result(forum_posts, asker, query: str) -> None:  # type: ignore[no-untyped-def]
    assert client_for(asker).get("/api/v1/threads/", {"search": query}).status_code == 200


def test_a_nul_character_in_the_search_is_a_400_naming_it(asker) -> None:  # type: ignore[no-untyped-def]
    response = client_for(asker).get("/api/v1/threads/", {"search": "\x00Jugend"})
    assert response.status_code == 400
    assert "search" in response.json()["fields"]


def test_index_follows_edits(make_thread, asker) -> None:  # type: ignore[no-untyped-def]
    thread = make_thread(title="Allgemeines", body="Stadtteilfonds")
    client = client_for(asker)
    assert _search(client, "Stadtteilfonds") == [thread.pk]
    forum.edit_own_post(user=asker, post_id=thread.first_post_id, body="Bürgerjury")
    assert _search(client, "Stadtteilfonds") == []
    assert _search(client, "Bürgerjury") == [thread.pk]


def test_install_repairs_missing_triggers(make_thread, asker) -> None:  # type: ignore[no-untyped-def]
    search.uninstall(connection)
    search.install(connection)
    thread = make_thread(title="Bürgerrat in Jena")
    assert _search(client_for(asker), "Bürgerrat") == [thread.pk]


def test_stems_are_german() -> None:
    assert search.stems("Jugendlichen Jugendliche") == "jugend jugend"


@pytest.mark.postgres
def test_postgres_uses_the_german_configuration_and_gin_indexes(forum_posts, asker) -> None:  # type: ignore[no-untyped-def]
    assert _search(client_for(asker), "Jugendliche") == [forum_posts["youth"].pk]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'exchange_%_gin'"
        )
        found = dict(cursor.fetchall())
        cursor.execute(
            "SELECT search_vector::text FROM exchange_thread WHERE id = %s",
            [forum_posts["youth"].pk],
        )
        (vector,) = cursor.fetchone()
    assert set(found) == {"exchange_thread_search_gin", "exchange_post_search_gin"}
    assert all("gin" in definition for definition in found.values())
    assert "'jugend'" in vector  # the german stemmer's stem of "Jugendlichen"
