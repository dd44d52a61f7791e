"""Contact requests between organisations: who may send, decide and see; e-mails; IDOR."""

from __future__ import annotations

import pytest
from django.core import mail

from exchange.models import ContactRequest
from notifications.models import Notification
from notifications.services import deliver
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/contact-requests/"


@pytest.fixture
def peer(db):  # type: ignore[no-untyped-def]
    municipality = factories.MunicipalityFactory(name="Jena", open_to_exchange=True)
    return factories.staff_for(municipality)


def _send(user, to: int, message: str = "Wir möchten von Ihrem Jugendbudget lernen."):  # type: ignore[no-untyped-def]
    return client_for(user).post(URL, {"to": to, "message": message}, format="json")


def test_request_accept_and_both_see_each_others_contact(asker, peer) -> None:  # type: ignore[no-untyped-def]
    to = peer.municipal_staff.municipality_id
    response = _send(asker, to)
    assert response.status_code == 201, response.json()
    sent = response.json()
    assert sent["status"] == "pending" and sent["direction"] == "sent"
    assert sent["contact"] is None
    # The other side's staff got an e-mail with a link to the request.
    (notice,) = Notification.objects.filter(kind="contact_request")
    assert notice.recipient == peer.email
    assert f"/austausch/kontakte/{sent['id']}/" in notice.body_text
    assert deliver(notice.pk) == "sent"
    assert peer.email in mail.outbox[-1].to[0]

    received = client_for(peer).get(URL).json()["results"]
    assert [r["direction"] for r in received] == ["received"]
    assert received[0]["contact"] is None

    response = client_for(peer).post(f"{URL}{sent['id']}/accept/")
    assert response.status_code == 200
    assert response.json()["contact"]["email"] == asker.email
    mine = client_for(asker).get(f"{URL}{sent['id']}/").json()
    assert mine["status"] == "accepted"
    assert mine["contact"]["email"] == peer.email
    assert mine["contact"]["organisation"]["name"] == "Jena"
    assert Notification.objects.filter(kind="contact_accepted", recipient=asker.email).exists()


def test_only_the_receiving_side_decides_and_only_once(asker, peer) -> None:  # type: ignore[no-untyped-def]
    sent = _send(asker, peer.municipal_staff.municipality_id).json()
    response = client_for(asker).post(f"{URL}{sent['id']}/accept/")
    assert response.status_code == 403
    assert client_for(peer).post(f"{URL}{sent['id']}/decline/").json()["status"] == "declined"
    again = client_for(peer).post(f"{URL}{sent['id']}/accept/")
    assert again.status_code == 409
    assert again.json()["code"] == "already_decided"


def test_others_contact_requests_are_404(asker, peer, answerer, coord) -> None:  # type: ignore[no-untyped-def]
    sent = _send(asker, peer.municipal_staff.municipality_id).json()
    for user in (answerer, coord):
        client = client_for(user)
        assert client.get(f"{URL}{sent['id']}/").status_code == 404
        assert client.post(f"{URL}{sent['id']}/accept/").status_code in (403, 404)
        assert client.get(URL).json()["count"] == 0
    assert client_for(answerer).post(f"{URL}{sent['id']}/accept/").status_code == 404


def test_only_organisations_open_to_exchange_can_be_contacted(asker) -> None:  # type: ignore[no-untyped-def]
    closed = factories.MunicipalityFactory(open_to_exchange=False)
    response = _send(asker, closed.pk)
    assert response.status_code == 404
    assert _send(asker, asker.municipal_staff.municipality_id).status_code == 404
    assert _send(asker, 2**63 - 1).status_code == 404
    assert _send(asker, 2**64).status_code == 400


def test_a_second_pending_request_to_the_same_organisation_is_409(asker, peer) -> None:  # type: ignore[no-untyped-def]
    to = peer.municipal_staff.municipality_id
    assert _send(asker, to).status_code == 201
    response = _send(asker, to)
    assert response.status_code == 409
    assert response.json()["code"] == "contact_request_pending"


def test_people_without_organisation_cannot_send(member_expert, outsider, peer, api) -> None:  # type: ignore[no-untyped-def]
    to = peer.municipal_staff.municipality_id
    assert _send(member_expert, to).status_code == 403
    assert _send(outsider, to).status_code == 403
    assert api.post(URL, {"to": to, "message": "x"}).status_code == 401


def test_empty_message_is_a_400_naming_it(asker, peer) -> None:  # type: ignore[no-untyped-def]
    response = _send(asker, peer.municipal_staff.municipality_id, message="  ")
    assert response.status_code == 400
    assert "message" in response.json()["fields"]
    assert not ContactRequest.objects.exists()


def test_contact_pages_show_both_sides_and_work_without_js(asker, peer, client) -> None:  # type: ignore[no-untyped-def]
    to = peer.municipal_staff.municipality_id
    client.force_login(asker)
    form = client.get(f"/austausch/kontakte/neu/{to}/")
    assert form.status_code == 200
    assert "Kontakt aufnehmen mit Jena" in form.content.decode()
    response = client.post(f"/austausch/kontakte/neu/{to}/", {"message": "Hallo Jena"})
    assert response.status_code == 302
    request = ContactRequest.objects.get()
    client.force_login(peer)
    page = client.get(response["Location"]).content.decode()
    assert "Annehmen" in page
    client.post(f"/austausch/kontakte/{request.pk}/", {"action": "accept"})
    page = client.get("/austausch/kontakte/").content.decode()
    assert asker.email in page
    client.force_login(asker)
    assert peer.email in client.get("/austausch/kontakte/").content.decode()


def test_peer_suggestions_page_links_to_the_contact_form_and_forum(asker, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(asker)
    page = client.get("/austausch/").content.decode()
    assert "/austausch/forum/" in page
    assert "/austausch/kontakte/" in page
