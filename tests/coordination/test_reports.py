"""The reports page: coordinators only, SVG charts, a CSV each, constant query count."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from coordination.reports import expert_load
from tests import factories

pytestmark = pytest.mark.django_db
SLUGS = ("monat", "land", "thema", "wartezeit", "veranstaltungen", "feedback", "auslastung")


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


def test_expert_load_counts_this_and_next_month_against_capacity(
    coordinator_client, coordinator, django_assert_num_queries
):
    now = datetime(2027, 6, 15, 10, 0, tzinfo=UTC)
    june, july, august = (datetime(2027, m, 10, 8, 0, tzinfo=UTC) for m in (6, 7, 8))
    anna = factories.ExpertProfileFactory(display_name="Anna", monthly_capacity=4)
    bert = factories.ExpertProfileFactory(display_name="Bert", monthly_capacity=2)
    factories.ExpertProfileFactory(display_name="Ruhend", monthly_capacity=3, active=False)
    counted = ("requested", "confirmed", "completed")
    for i, status in enumerate((*counted, "declined", "cancelled", "held")):
        factories.ConsultationBookingFactory(
            expert=anna, status=status, start=june + timedelta(hours=2 * i)
        )
    factories.ConsultationBookingFactory(expert=anna, status="confirmed", start=july)
    factories.ConsultationBookingFactory(expert=anna, status="confirmed", start=august)
    factories.ConsultationBookingFactory(expert=bert, status="no_show", start=june)
    # The last evening of May in Berlin is 31 May 22:30 UTC... and 1 June 00:30 in Berlin.
    factories.ConsultationBookingFactory(
        expert=bert, status="confirmed", start=datetime(2027, 5, 31, 22, 30, tzinfo=UTC)
    )

    with django_assert_num_queries(1):
        report = expert_load(now)

    by_name = {bar.label: bar for bar in report.bars}
    assert set(by_name) == {"Anna", "Bert"}
    assert by_name["Anna"].value == 75  # 3 of 4
    assert by_name["Anna"].note == "06/2027: 3 von 4, 07/2027: 1 von 4"
    assert by_name["Bert"].value == 100  # 2 of 2: the no-show and the Berlin 1 June
    assert by_name["Bert"].note == "06/2027: 2 von 2, 07/2027: 0 von 2"
    assert [bar.label for bar in report.bars] == ["Bert", "Anna"]  # fullest first
    with time_machine.travel(now, tick=False):
        coordinator_client.force_login(coordinator)  # a session of today's date has expired
        response = coordinator_client.get("/koordination/berichte/auslastung.csv")
        page = coordinator_client.get("/koordination/berichte/").content.decode()
    assert "Anna;75;06/2027: 3 von 4, 07/2027: 1 von 4" in response.content.decode()
    assert 'id="report-auslastung"' in page
