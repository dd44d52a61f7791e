"""A task travels through the real broker to a real Celery worker process and changes the DB.

On the embedded default the broker is kombu's filesystem transport; in CI's second run it is
Redis (the `redis` marked test refuses to pass on anything else).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction

from notifications.models import Notification
from notifications.services import Rendered, queue_notification
from notifications.tasks import deliver_notification
from tests.notifications.servers import FaultySmtpSink
from tests.workers import celery_worker, wait_for

pytestmark = [pytest.mark.celery, pytest.mark.smtp, pytest.mark.django_db(transaction=True)]


def _queue_one(key: str) -> Notification:
    with transaction.atomic():
        return queue_notification(
            recipient="kaemmerei@musterstadt.example",
            kind="test",
            dedup_key=key,
            message=Rendered(subject="Hallo", text="Text", html="<p>Text</p>"),
        )


def _worker_delivers(queue_key: str) -> None:
    with FaultySmtpSink() as sink, celery_worker(extra_env={"EMAIL_URL": sink.url}) as queue:
        notification = _queue_one(queue_key)
        deliver_notification.apply_async(args=[notification.pk], queue=queue)
        assert wait_for(
            lambda: Notification.objects.get(pk=notification.pk).status == "sent", timeout=60
        ), Notification.objects.get(pk=notification.pk).error
        assert len(sink.messages) == 1
        assert b"Subject: Hallo" in sink.messages[0]


def test_worker_process_delivers_through_the_configured_broker():
    _worker_delivers("worker-test-default")


@pytest.mark.redis
def test_worker_process_delivers_through_redis():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    _worker_delivers("worker-test-redis")
