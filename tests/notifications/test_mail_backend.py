"""The SMTP backend's two timeouts against a real (local) SMTP server: a short one for
connecting and commands, a patient one for the reply to a sent message."""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail import EmailMessage, get_connection

from notifications.models import Notification
from notifications.services import deliver_many
from tests.notifications.servers import FaultySmtpSink, queue_fanout

pytestmark = [pytest.mark.smtp]


@pytest.fixture
def smtp_settings(settings):  # type: ignore[no-untyped-def]
    def use(sink: FaultySmtpSink, *, timeout: float, data_timeout: float) -> None:
        settings.EMAIL_BACKEND = "notifications.mail_backend.PatientSmtpBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sink.controller.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = timeout
        settings.EMAIL_DATA_TIMEOUT = data_timeout

    return use


def test_a_slow_answer_to_data_is_waited_for_while_commands_keep_the_short_timeout(
    smtp_settings,
):  # type: ignore[no-untyped-def]
    with FaultySmtpSink() as sink:
        smtp_settings(sink, timeout=0.5, data_timeout=5)
        sink.slow_reply = 1.0  # twice EMAIL_TIMEOUT, well within EMAIL_DATA_TIMEOUT
        connection = get_connection(fail_silently=False)
        EmailMessage(
            "Betreff", "Text", "a@example.org", ["b@example.org"], connection=connection
        ).send()
        assert len(sink.messages) == 1


def test_data_reply_later_than_the_patient_timeout_still_times_out(smtp_settings):  # type: ignore[no-untyped-def]
    with FaultySmtpSink() as sink:
        smtp_settings(sink, timeout=0.3, data_timeout=0.6)
        sink.slow_reply = 2.0
        connection = get_connection(fail_silently=False)
        with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected)):
            EmailMessage(
                "Betreff", "Text", "a@example.org", ["b@example.org"], connection=connection
            ).send()


def test_the_socket_timeout_is_short_again_after_the_data_reply(smtp_settings):  # type: ignore[no-untyped-def]
    with FaultySmtpSink() as sink:
        smtp_settings(sink, timeout=0.5, data_timeout=5)
        connection = get_connection(fail_silently=False)
        connection.open()
        try:
            message = EmailMessage("Betreff", "Text", "a@example.org", ["b@example.org"])
            message.connection = connection
            message.send()
            assert connection.connection.sock.gettimeout() == 0.5
        finally:
            connection.close()


@pytest.mark.django_db(transaction=True)
def test_outbox_rows_answered_slowly_are_each_sent_once_not_retried(smtp_settings):  # type: ignore[no-untyped-def]
    with FaultySmtpSink() as sink:
        smtp_settings(sink, timeout=0.5, data_timeout=5)
        sink.slow_reply = 1.0
        ids = queue_fanout("slow-data", 3)
        outcome = deliver_many(ids)
        assert outcome.get("sent") == 3, outcome
        assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
        assert sorted(sink.message_ids().values()) == [1, 1, 1]  # no duplicates
