"""The consultations pages of the back office: the filtered list, its CSV, a request's page with
the matcher's reasons and the bookings' history, the reassignment form; 404 for everyone else."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from bookings import services
from bookings.models import ConsultationBooking
from notifications.models import Notification
from tests import factories
from tests.bookings.test_reassign import MONDAY, at, frozen  # noqa: F401  (autouse: 2027-06-01)

pytestmark = pytest.mark.django_db
LIST = "/koordination/beratungen/"
CSV = "/koordination/beratungen.csv"


@pytest.fixture
def data():  # type: ignore[no-untyped-def]
    """Two requests in Sachsen and Bayern with different topics, one booked in July."""
    dresden = factories.MunicipalityFactory(name="Dresden", state="Sachsen")
    passau = factories.MunicipalityFactory(name="Passau", state="Bayern")
    anna = factories.ExpertProfileFactory(display_name="Anna Beraterin")
    youth = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=dresden, title="Jugendbudget Dresden"),
        needs={"youth-school": 3},
    )
    law = factories.RequestFactory(
        plan=factories.PlanFactory(municipality=passau, title="Haushalt Passau"),
        needs={"budget-law": 2},
    )
    booking = factories.ConsultationBookingFactory(
        request=law, expert=anna, start=at(date(2027, 7, 5), 10), status="confirmed"
    )
    return {"youth": youth, "law": law, "anna": anna, "booking": booking}


def _listed(client, **params) -> set[str]:  # type: ignore[no-untyped-def]
    page = client.get(LIST, params)
    assert page.status_code == 200
    text = page.content.decode()
    return {name for name in ("Jugendbudget Dresden", "Haushalt Passau") if name in text}


def test_every_page_post_and_export_is_404_for_outsiders(outsider_client, data):
    request_id = data["law"].pk
    assert outsider_client.get(LIST).status_code == 404
    assert outsider_client.get(CSV).status_code == 404
    assert outsider_client.get(f"{LIST}anfragen/{request_id}/").status_code == 404
    posted = outsider_client.post(
        f"{LIST}anfragen/{request_id}/neu-zuordnen/",
        {"expert": data["anna"].pk, "start": at(MONDAY, 10).isoformat()},
    )
    assert posted.status_code == 404
    assert ConsultationBooking.objects.count() == 1


def test_unknown_request_is_404(coordinator_client):
    assert coordinator_client.get(f"{LIST}anfragen/999999/").status_code == 404


def test_list_without_filters_shows_all(coordinator_client, data):
    assert _listed(coordinator_client) == {"Jugendbudget Dresden", "Haushalt Passau"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"land": "Sachsen"}, {"Jugendbudget Dresden"}),
        ({"land": "Bayern"}, {"Haushalt Passau"}),
        ({"topic": "budget-law"}, {"Haushalt Passau"}),
        ({"topic": "youth-school"}, {"Jugendbudget Dresden"}),
        ({"status": "request:open"}, {"Jugendbudget Dresden", "Haushalt Passau"}),
        ({"status": "request:booked"}, set()),
        ({"status": "booking:confirmed"}, {"Haushalt Passau"}),
        ({"status": "booking:requested"}, set()),
        ({"expert": "Anna"}, {"Haushalt Passau"}),
        ({"expert": "Niemand"}, set()),
        ({"month": "2027-07"}, {"Haushalt Passau"}),  # the booking's month
        ({"month": "2027-06"}, {"Jugendbudget Dresden", "Haushalt Passau"}),  # created
        ({"month": "2027-08"}, set()),
        ({"q": "passau"}, {"Haushalt Passau"}),  # municipality
        ({"q": "jugendbudget"}, {"Jugendbudget Dresden"}),  # plan title
        ({"land": "Sachsen", "topic": "budget-law"}, set()),
    ],
)
def test_filters_and_search(coordinator_client, data, params, expected):
    assert _listed(coordinator_client, **params) == expected


def test_expert_filter_by_number(coordinator_client, data):
    assert _listed(coordinator_client, expert=str(data["anna"].pk)) == {"Haushalt Passau"}


def test_bad_filter_input_is_no_500(coordinator_client, data):
    for params in ({"month": "2027-13"}, {"land": "Atlantis"}, {"status": "x"}, {"seite": "z"}):
        assert coordinator_client.get(LIST, params).status_code == 200


def test_list_shows_bookings_and_links_the_batch_assignment(coordinator_client, data):
    text = coordinator_client.get(LIST).content.decode()
    assert "Anna Beraterin" in text and "bestätigt" in text
    assert '/koordination/#assignment"' in text


def test_list_paginates(coordinator_client):
    plan = factories.PlanFactory(title="Viele")
    for _ in range(27):
        factories.RequestFactory(plan=plan)
    first = coordinator_client.get(LIST).content.decode()
    assert "Seite 1 von 2" in first and "seite=2" in first
    second = coordinator_client.get(LIST, {"seite": 2}).content.decode()
    assert second.count("#") >= 2 and "Seite 2 von 2" in second


def _rows(n: int) -> None:
    expert = factories.ExpertProfileFactory()
    for i in range(n):
        municipality = factories.MunicipalityFactory()
        request = factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
        factories.ConsultationBookingFactory(
            request=request, expert=expert, start=at(MONDAY, 8) + timedelta(hours=2 * i)
        )


@pytest.mark.parametrize("url", [LIST, CSV])
def test_query_count_is_constant_in_the_rows(
    coordinator_client, url, django_assert_num_queries, django_assert_max_num_queries
):
    _rows(3)
    with django_assert_max_num_queries(20) as few:
        assert coordinator_client.get(url).status_code == 200
    _rows(27)
    with django_assert_num_queries(len(few.captured_queries)):
        assert coordinator_client.get(url).status_code == 200


def test_csv_is_filtered_and_formula_safe(coordinator_client, data):
    data["law"].plan.title = "=HYPERLINK(1)"
    data["law"].plan.save()
    response = coordinator_client.get(CSV, {"land": "Bayern"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Anfrage"
    assert len(rows) == 2  # the header and Passau's one booking; Dresden is filtered out
    assert rows[1][2] == "Passau" and rows[1][4] == "'=HYPERLINK(1)"
    assert rows[1][8] == "Anna Beraterin" and rows[1][10] == "bestätigt"


def test_request_page_shows_request_matches_and_why(coordinator_client, data):
    factories.ExpertProfileFactory(display_name="Jana Jugend", levels={"youth-school": 3})
    factories.ExpertProfileFactory(display_name="Bernd Bayern", languages=["en"])  # left out
    data["youth"].notes = "Wir brauchen Hilfe bei Schulen."
    data["youth"].save()
    page = coordinator_client.get(f"{LIST}anfragen/{data['youth'].pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Wir brauchen Hilfe bei Schulen." in text and "Dresden" in text
    assert "Jana Jugend" in text and 'class="explanation"' in text
    assert "Bernd Bayern" not in text
    assert 'class="notice left-out"' in text  # how many were left out, and why
    assert data["youth"].status == "open"  # looking does not mark the request matched
    data["youth"].refresh_from_db()
    assert data["youth"].status == "open"


@pytest.fixture
def booked(data):  # type: ignore[no-untyped-def]
    """Dresden's request requested with Anna through the service; Jana is free."""
    staff = factories.staff_for(data["youth"].plan.municipality)
    booking = services.book(
        actor=staff,
        request_id=data["youth"].pk,
        expert_id=data["anna"].pk,
        start=at(MONDAY, 10),
        duration_minutes=60,
    )
    jana = factories.ExpertProfileFactory(display_name="Jana Jugend")
    return {**data, "old": booking, "jana": jana}


def test_reassign_through_the_page(coordinator_client, coordinator, booked):
    url = f"{LIST}anfragen/{booked['youth'].pk}/"
    form = coordinator_client.get(url, {"expert": booked["jana"].pk}).content.decode()
    start = at(MONDAY, 14).isoformat()
    assert f'value="{start}"' in form  # Jana's free slot is offered
    response = coordinator_client.post(
        f"{url}neu-zuordnen/",
        {"expert": booked["jana"].pk, "start": start, "note": "passt besser"},
    )
    assert response.status_code == 302
    old = ConsultationBooking.objects.get(pk=booked["old"].pk)
    assert old.status == "cancelled" and old.reason == "neu zugeordnet: passt besser"
    new = ConsultationBooking.objects.get(request=booked["youth"], status="requested")
    assert new.expert == booked["jana"]
    assert Notification.objects.filter(kind="booking_cancelled", ics_method="CANCEL").exists()
    page = coordinator_client.get(url).content.decode()
    assert "neu zugeordnet: passt besser" in page
    assert coordinator.username in page  # the history names who did it
    assert "cancelled" in page  # the status change is in the trail


def test_reassign_to_a_taken_slot_is_409_on_the_page(coordinator_client, booked):
    other = factories.RequestFactory(plan=factories.PlanFactory())
    staff = factories.staff_for(other.plan.municipality)
    services.book(
        actor=staff,
        request_id=other.pk,
        expert_id=booked["jana"].pk,
        start=at(MONDAY, 14),
        duration_minutes=60,
    )
    response = coordinator_client.post(
        f"{LIST}anfragen/{booked['youth'].pk}/neu-zuordnen/",
        {"expert": booked["jana"].pk, "start": at(MONDAY, 14).isoformat()},
    )
    assert response.status_code == 409
    assert "Termin" in response.content.decode()
    assert ConsultationBooking.objects.get(pk=booked["old"].pk).status == "requested"


def test_reassign_form_without_a_slot_is_400(coordinator_client, booked):
    response = coordinator_client.post(
        f"{LIST}anfragen/{booked['youth'].pk}/neu-zuordnen/", {"expert": booked["jana"].pk}
    )
    assert response.status_code == 400
    assert "Bitte einen freien Termin wählen." in response.content.decode()


def test_reassign_is_post_only(coordinator_client, booked):
    url = f"{LIST}anfragen/{booked['youth'].pk}/neu-zuordnen/"
    assert coordinator_client.get(url).status_code == 405


def test_pages_speak_english(coordinator_client, data):
    coordinator_client.cookies["django_language"] = "en"
    text = coordinator_client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Consultations" in text


def test_request_page_speaks_english(coordinator_client, booked):
    url = f"{LIST}anfragen/{booked['youth'].pk}/?expert={booked['jana'].pk}"
    text = coordinator_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Matching experts and why" in text and "Assign the request to Jana Jugend" in text
