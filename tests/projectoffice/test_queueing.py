"""Sending a job's task: a broker that is down loses nothing, and the sweep does not pile
copies behind a queue that is merely slow."""

from unittest import mock

from projectoffice.queueing import queue, requeue_unknown


def task() -> mock.Mock:
    sent = mock.Mock()
    sent.name = "tests.job"
    return sent


def test_a_job_sent_is_not_sent_again_by_the_sweep() -> None:
    job = task()
    assert queue(job, 1) is True
    assert requeue_unknown(job, [1, 2]) == 1
    assert [c.args for c in job.delay.call_args_list] == [(1,), (2,)]


def test_a_job_the_broker_refused_is_sent_by_the_sweep() -> None:
    job = task()
    job.delay.side_effect = ConnectionError("broker down")
    assert queue(job, 7) is False
    job.delay.side_effect = None
    assert requeue_unknown(job, [7]) == 1
    assert requeue_unknown(job, [7]) == 0  # now it is known to be queued
