"""Sending a job's task by its name: a broker that is down loses nothing, the sweep does
not pile copies behind a queue that is merely slow, and without a broker (no REDIS_URL)
the task runs in the process."""

from unittest import mock

import pytest
from celery import shared_task

from projectoffice.queueing import queue, queue_on_commit, requeue_orphans, requeue_unknown, send

ran: list[int] = []


@shared_task(name="tests.job")
def job(job_id: int) -> int:
    ran.append(job_id)
    return job_id


@pytest.fixture
def sent():
    with mock.patch.object(job, "delay") as delay:
        yield delay


def test_a_job_sent_is_not_sent_again_by_the_sweep(sent) -> None:
    assert queue("tests.job", 1) is True
    assert requeue_unknown("tests.job", [1, 2]) == 1
    assert [c.args for c in sent.call_args_list] == [(1,), (2,)]


def test_the_takeover_sends_a_dead_attempt_once_though_its_first_message_is_known(sent) -> None:
    assert queue("tests.job", 3) is True  # its worker took it and died: the mark stays
    assert requeue_orphans("tests.job", [(3, 1)]) == 1
    assert requeue_orphans("tests.job", [(3, 1)]) == 0  # the next look finds it sent
    assert requeue_orphans("tests.job", [(3, 2)]) == 1  # the worker that took it over died too
    assert [c.args for c in sent.call_args_list] == [(3,), (3,), (3,)]


def test_a_takeover_the_broker_refused_is_sent_at_the_next_look(sent) -> None:
    sent.side_effect = ConnectionError("broker down")
    assert requeue_orphans("tests.job", [(4, 1)]) == 0
    sent.side_effect = None
    assert requeue_orphans("tests.job", [(4, 1)]) == 1


def test_a_job_the_broker_refused_is_sent_by_the_sweep(sent) -> None:
    sent.side_effect = ConnectionError("broker down")
    assert queue("tests.job", 7) is False
    sent.side_effect = None
    assert requeue_unknown("tests.job", [7]) == 1
    assert requeue_unknown("tests.job", [7]) == 0  # now it is known to be queued


def test_without_a_broker_a_task_named_runs_in_the_process(in_process_tasks) -> None:
    ran.clear()
    assert send("tests.job", 3) is True
    assert ran == [3]


@pytest.mark.django_db
def test_a_job_queued_on_commit_is_sent_only_when_the_transaction_commits(
    sent, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        queue_on_commit("tests.job", 5)
        sent.assert_not_called()
    sent.assert_called_once_with(5)


def test_a_misspelt_task_name_fails_where_it_is_queued() -> None:
    with pytest.raises(KeyError):
        queue_on_commit("tests.no_such_job", 1)
