"""Consultation bookings while the broker is down (issue 9, faults): a private redis-server is
stopped, municipal staff book and experts confirm and cancel through the services, the broker
comes back, and a real Celery worker delivers every confirmation and invitation to an SMTP sink
exactly once. Bounded (< 60 s); prints what was sent, lost and duplicated.
"""

from __future__ import annotations

import email
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bookings import services
from bookings.models import ConsultationBooking
from consult.models import Topic
from notifications.models import Notification
from notifications.tasks import sweep_outbox
from tests import factories
from tests.notifications.servers import publish, worker_on_private_redis
from tests.workers import wait_for

pytestmark = [
    pytest.mark.redis,
    pytest.mark.celery,
    pytest.mark.smtp,
    pytest.mark.django_db(transaction=True),
]

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
MONDAY = date(2027, 6, 7)
BOOKINGS = 4


@pytest.fixture(autouse=True)
def _topic(db):  # type: ignore[no-untyped-def]
    """Transactional tests flush the migrations' topic rows; the factories need one."""
    Topic.objects.get_or_create(
        slug="youth-school", defaults={"name_de": "Jugend", "name_en": "Youth"}
    )


def _ics_methods(raw: bytes) -> list[str]:
    message = email.message_from_bytes(raw)
    return [
        str(Calendar.from_ical(part.get_payload(decode=True)).get("METHOD"))
        for part in message.walk()
        if part.get_content_type() == "text/calendar"
    ]


def test_bookings_while_redis_is_down_commit_and_every_message_arrives_once_when_it_returns():
    municipality = factories.MunicipalityFactory()
    staff = factories.staff_for(municipality)
    expert = factories.ExpertProfileFactory()
    requests = [
        factories.RequestFactory(plan=factories.PlanFactory(municipality=municipality))
        for _ in range(BOOKINGS)
    ]
    with worker_on_private_redis() as (redis, sink, queue):
        redis.stop()

        started = time.monotonic()
        booked = [
            services.book(
                actor=staff,
                request_id=request.pk,
                expert_id=expert.pk,
                start=datetime.combine(MONDAY, clock_time(9), BERLIN) + timedelta(hours=2 * i),
                duration_minutes=60,
                now=NOW,
            )
            for i, request in enumerate(requests)
        ]
        services.confirm(actor=expert.user, booking_id=booked[0].pk, now=NOW)
        services.cancel(actor=staff, booking_id=booked[1].pk, reason="Ratssitzung", now=NOW)
        # The broker being down costs each change its publish retries, never an error.
        assert time.monotonic() - started < 30
        statuses = dict(ConsultationBooking.objects.values_list("pk", "status"))
        assert statuses[booked[0].pk] == "confirmed" and statuses[booked[1].pk] == "cancelled"
        expected = Notification.objects.count()
        # Expert and municipality hear of each booking, the confirmation and the cancellation.
        assert expected >= 2 * (BOOKINGS + 2)
        assert Notification.objects.filter(status="pending").count() == expected
        assert sink.messages == []

        redis.start()
        publish(sweep_outbox, queue=queue)

        assert wait_for(
            lambda: Notification.objects.filter(status="sent").count() == expected, timeout=40
        ), dict(Notification.objects.values_list("status").annotate())
        ids = sink.message_ids()
        lost = expected - len(ids)
        duplicated = sum(n - 1 for n in ids.values())
        print(
            f"Redis down during {BOOKINGS} bookings, 1 confirmation, 1 cancellation: "
            f"{expected} messages sent, {lost} lost, {duplicated} duplicated"
        )
        assert lost == 0 and duplicated == 0
        methods = [m for raw in sink.messages for m in _ics_methods(raw)]
        cancellations = Notification.objects.filter(kind="booking_cancelled").count()
        assert cancellations >= 2  # both sides of the cancelled booking
        assert methods.count("CANCEL") == cancellations
        assert methods.count("REQUEST") == len(methods) - cancellations > 0
