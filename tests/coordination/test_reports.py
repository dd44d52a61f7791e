"""The reports page: coordinators only, SVG charts, a CSV each, constant query count."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db
SLUGS = ("monat", "land", "thema", "wartezeit", "veranstaltungen", "feedback")


def _bookings(n, *, expert=None):  # type: ignore[no-untyped-def]
    expert = expert or factories.ExpertProfileFactory()
    start = timezone.now() - timedelta(days=20)
    return [
        factories.ConsultationBookingFactory(
            expert=expert, status="completed", rating=4, start=start + timedelta(hours=3 * i)
        )
        for i in range(n)
    ]


def test_reports_are_404_for_outsiders(outsider_client):
    assert outsider_client.get("/koordination/berichte/").status_code == 404
    for slug in SLUGS:
        assert outsider_client.get(f"/koordination/berichte/{slug}.csv").status_code == 404


def test_reports_page_draws_a_chart_per_report(coordinator_client):
    _bookings(3)
    factories.EventFactory()
    page = coordinator_client.get("/koordination/berichte/").content.decode()
    assert page.count("<svg") == len(SLUGS)
    assert 'role="img"' in page


def test_every_report_has_a_csv(coordinator_client):
    _bookings(2)
    for slug in SLUGS:
        response = coordinator_client.get(f"/koordination/berichte/{slug}.csv")
        assert response.status_code == 200, slug
        assert response["Content-Type"] == "text/csv"
    month = coordinator_client.get("/koordination/berichte/monat.csv").content.decode()
    assert ";2" in month or ";1" in month
    assert coordinator_client.get("/koordination/berichte/unbekannt.csv").status_code == 404


def test_reports_query_count_is_constant(coordinator_client, django_assert_max_num_queries):
    _bookings(2)
    factories.EventFactory()
    with django_assert_max_num_queries(40) as few:
        coordinator_client.get("/koordination/berichte/")
    _bookings(15)
    for _ in range(5):
        factories.EventFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        coordinator_client.get("/koordination/berichte/")
