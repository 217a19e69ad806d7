"""Notices go out once, even when the broker is away or a task runs twice."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from agencies.models import RegionalBranch
from initiatives.models import Indicator, OutboxMessage
from initiatives.periods import Period
from initiatives.services.outbox import outbox_add, outbox_deliver
from initiatives.services.reports import report_approve, report_create, report_return, report_save, report_submit

# Tasks run in the test's process here; the worker itself is exercised by tests/jobs.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_process_tasks")]


@pytest.fixture
def submitted(coordinator_astana):
    with time_machine.travel(datetime.datetime(2025, 10, 5, tzinfo=datetime.UTC), tick=True):
        branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
        report = report_create(branch=branch, kind="monthly", period=Period.parse("2025-09"), user=coordinator_astana)
        report = report_save(
            report=report,
            version=1,
            values={Indicator.objects.get(code="events.legal_literacy"): (Decimal(4), "")},
            narrative="",
            user=coordinator_astana,
        )
        return report_submit(report=report, version=report.version, user=coordinator_astana)


def test_a_returned_report_sends_its_coordinator_one_email(
    submitted, office, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report_return(report=submitted, reason="Add the protocol.", user=office)
    assert [m.to for m in mail.outbox] == [["coordinator.astana@example.kz"]]
    assert "Add the protocol." in mail.outbox[0].body
    assert OutboxMessage.objects.get(key__contains=":returned:").sent_at is not None


def test_a_submitted_report_is_acknowledged_to_its_coordinators(submitted) -> None:
    notice = OutboxMessage.objects.get()
    assert (
        notice.key
        == f"report:{submitted.pk}:submitted:{submitted.version}:{submitted.branch.memberships.get().user_id}"
    )
    assert (notice.recipient, notice.subject) == ("coordinator.astana@example.kz", "Report 2025-09 received")
    assert "reached the project office on 05.10.2025" in notice.body


def test_an_approved_report_is_announced(submitted, office, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report_approve(report=submitted, user=office)
    assert len(mail.outbox) == 1 and "2025-09" in mail.outbox[0].subject


def test_delivering_twice_sends_once() -> None:
    message = outbox_add(key="test:1", recipient="a@example.kz", subject="s", body="b")
    assert outbox_deliver(message_id=message.pk) is True
    assert outbox_deliver(message_id=message.pk) is False
    assert len(mail.outbox) == 1


def test_the_same_event_twice_is_one_notice() -> None:
    outbox_add(key="test:2", recipient="a@example.kz", subject="s", body="b")
    outbox_add(key="test:2", recipient="a@example.kz", subject="s", body="b")
    assert OutboxMessage.objects.count() == 1


def test_a_broker_outage_loses_nothing(monkeypatch, django_capture_on_commit_callbacks) -> None:
    from initiatives import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_notice, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_add(key="test:3", recipient="a@example.kz", subject="s", body="b")
    assert mail.outbox == [] and OutboxMessage.objects.get().sent_at is None
    monkeypatch.undo()
    assert tasks.deliver_pending_notices() == 1  # the sweep, once the broker is back
    assert len(mail.outbox) == 1


def test_a_failed_send_is_released_for_a_retry(monkeypatch) -> None:
    from initiatives.services import outbox

    message = outbox_add(key="test:4", recipient="a@example.kz", subject="s", body="b")
    monkeypatch.setattr(outbox, "send_mail", lambda *a, **k: (_ for _ in ()).throw(OSError("SMTP down")))
    with pytest.raises(OSError):
        outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.claimed_at, message.attempts, message.last_error) == (None, 1, "SMTP down")
    monkeypatch.undo()
    assert outbox_deliver(message_id=message.pk) is True
