"""Background jobs against real processes: a worker takes jobs from a real Redis, a worker
killed mid-task leaves its job to be done again and done once, and a Redis outage loses
no notice. Each test starts its own Redis, worker and web server (tests/jobs/conftest.py)
and talks to the web server over HTTP, as an agency's system and a coordinator would."""

import csv
import datetime
import email
import email.policy
import io
import os
import re
import signal
import time
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import requests

from agencies.models import Agency, Membership, MembershipRole, RegionalBranch
from agencies.roles import COORDINATORS_GROUP
from initiatives.models import ImportBatch, Indicator, OutboxMessage, Report, Value
from initiatives.periods import Period
from initiatives.services.reports import report_create, report_save
from regions.models import Region
from tests.factories import PASSWORD, UserFactory

from .conftest import Stack, districts, import_token, push, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def poll_until_finished(location: str, token: str, timeout: float = 120) -> dict:
    def finished() -> dict | None:
        body = requests.get(location, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        return body if body["status"] in ("succeeded", "failed") else None

    return wait_for(f"{location} to finish", finished, timeout=timeout, every=0.5)


def test_the_worker_imports_an_uploaded_file(stack: Stack) -> None:
    stack.start_worker()
    stack.start_web()
    token = import_token()

    location = push(
        stack,
        token,
        b"region,period,indicator,value\n710000000,2025-09,crime.registered,1300\n750000000,2025-09,crime.registered,2100\n",
        "september.csv",
    )
    body = poll_until_finished(location, token)

    assert (body["status"], body["created"], body["attempts"]) == ("succeeded", 2, 1)
    assert sorted(Value.objects.values_list("region__kato", "value")) == [
        ("710000000", Decimal(1300)),
        ("750000000", Decimal(2100)),
    ]
    assert "initiatives.tasks.run_statistics_import" in stack.worker.output()


def test_a_worker_killed_while_writing_leaves_the_job_to_be_done_again_and_done_once(stack: Stack) -> None:
    codes = districts(1000)
    months = [f"{year}-{month:02d}" for year in range(2016, 2026) for month in range(1, 13)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["region", "period", "indicator", "value"])
    for kato in codes:
        for month in months:
            writer.writerow([kato, month, "crime.registered", 7])
    rows = len(codes) * len(months)
    assert rows == 120_000

    stack.start_worker()
    stack.start_web()
    token = import_token()
    location = push(stack, token, out.getvalue().encode(), "ten-years.csv")
    batch_id = int(location.rstrip("/").rsplit("/", 1)[1])

    # Kill the process running the task while it writes: the values are going in, inside
    # the transaction (the API shows the live progress the worker keeps in the cache).
    def writing() -> bool:
        progress = requests.get(location, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["progress"]
        return progress["stage"] == "writing" and 0 < progress["done"] < rows

    wait_for("the import to be writing", writing, timeout=180, every=0.05)
    [child] = stack.worker.children()
    os.kill(child, signal.SIGKILL)
    assert not Value.objects.filter(import_batch_id=batch_id).exists()  # nothing of the first run is left

    body = poll_until_finished(location, token, timeout=300)
    assert (body["status"], body["rows"], body["created"], body["attempts"]) == ("succeeded", rows, rows, 2)
    assert Value.objects.filter(import_batch_id=batch_id).count() == rows
    # The first run's writes were rolled back with its process; the second's values landed
    # without history rows (their first version is their batch: services/value_history.py).
    assert Value.objects.count() == rows
    assert not Value.history.exists()
    assert "WorkerLostError" in stack.worker.output()


def test_a_whole_worker_killed_has_its_job_taken_over_within_two_minutes_and_done_once(stack: Stack) -> None:
    """The machine running the worker dies (the worker's whole process group is killed):
    Redis would give the job out again only after its visibility timeout (two hours, as
    in production), but beat's takeover (`take_over_jobs`, every JOBS_TAKEOVER_SECONDS)
    finds the job running with its lock free and queues it for the next worker."""
    stack.env["CELERY_VISIBILITY_TIMEOUT"] = str(2 * 60 * 60)
    stack.env["JOBS_TAKEOVER_SECONDS"] = "2"  # 60 in production; a test need not wait so long
    codes = districts(500)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["region", "period", "indicator", "value"])
    for kato in codes:
        for month in range(1, 13):
            for year in (2021, 2022, 2023, 2024, 2025):
                writer.writerow([kato, f"{year}-{month:02d}", "crime.registered", 3])
    stack.start_worker()
    stack.start_beat()
    stack.start_web()
    token = import_token()
    location = push(stack, token, out.getvalue().encode(), "whole.csv")
    batch_id = int(location.rstrip("/").rsplit("/", 1)[1])
    wait_for(
        "the import to be under way",
        lambda: ImportBatch.objects.filter(pk=batch_id, status="running", progress_done__gte=10_000).exists(),
        timeout=120,
        every=0.1,
    )
    assert stack.worker.process is not None
    os.killpg(stack.worker.process.pid, signal.SIGKILL)
    killed = time.monotonic()
    stack.worker.process.wait(timeout=10)
    assert ImportBatch.objects.get(pk=batch_id).status == "running"  # stranded, "running 10000/30000"

    stack.restart_worker()
    body = poll_until_finished(location, token, timeout=120 - (time.monotonic() - killed))
    assert (body["status"], body["created"], body["attempts"]) == ("succeeded", 30_000, 2)
    assert Value.objects.filter(import_batch_id=batch_id).count() == 30_000
    assert Value.objects.count() == 30_000 and not Value.history.exists()  # first versions: their batch
    assert "initiatives.tasks.take_over_jobs" in stack.worker.output()
    assert "'imports': 1" in stack.worker.output()  # the takeover queued it, once


class FormReader(HTMLParser):
    """The fields of the first form with a submit button named `action`, as a browser sends them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.action = ""
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "checkbox", "submit"):
            self.fields.setdefault(a["name"], a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.fields.setdefault(a["name"], "")

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self.textarea = None


def logged_in(stack: Stack, username: str) -> requests.Session:
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    page = session.get(f"{stack.url}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    answer = session.post(
        f"{stack.url}/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{stack.url}/login/"},
        timeout=10,
    )
    assert answer.url.rstrip("/") == stack.url, answer.url
    return session


def test_with_redis_stopped_a_report_is_submitted_and_its_notice_sent_once_redis_is_back(stack: Stack) -> None:
    coordinator = UserFactory(username="coordinator.astana")
    coordinator.groups.add(coordinator.groups.model.objects.get(name=COORDINATORS_GROUP))
    branch = RegionalBranch.objects.create(
        agency=Agency.objects.get(code="gpo"), region=Region.objects.get(kato="710000000")
    )
    Membership.objects.create(user=coordinator, branch=branch, role=MembershipRole.COORDINATOR)
    last_month = Period.parse((datetime.date.today().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m"))
    report = report_create(branch=branch, kind="monthly", period=last_month, user=coordinator)
    # Open whatever today's date: the server runs on the real clock.
    Report.objects.filter(pk=report.pk).update(due_date=datetime.date.today() + datetime.timedelta(days=30))
    report_save(
        report=report,
        version=1,
        values={Indicator.objects.get(code="events.legal_literacy"): (Decimal(4), "")},
        narrative="",
        user=coordinator,
    )
    stack.start_worker()
    stack.start_web()
    session = logged_in(stack, "coordinator.astana")

    stack.redis.stop()
    page = session.get(f"{stack.url}/reports/{report.pk}/", timeout=10)
    assert page.status_code == 200, page.text[:500]
    form = FormReader()
    form.feed(page.text)
    answer = session.post(
        f"{stack.url}/reports/{report.pk}/",
        data={**form.fields, "action": "submit"},
        headers={"Referer": page.url},
        timeout=30,
    )
    assert answer.status_code == 200 and "The report was submitted to the project office." in answer.text
    report.refresh_from_db()
    assert report.state == "submitted"
    notice = OutboxMessage.objects.get()
    assert (notice.recipient, notice.sent_at) == ("coordinator.astana@example.kz", None)
    assert stack.mails() == []

    stack.redis.start()  # the same port: the worker and the web server find it again
    stack.call("initiatives.tasks.deliver_pending_notices")  # what beat does every five minutes
    wait_for("the notice to be sent", lambda: OutboxMessage.objects.filter(sent_at__isnull=False).exists())
    stack.call("initiatives.tasks.deliver_pending_notices")  # a second sweep finds nothing to send
    stack.call("initiatives.tasks.deliver_notice", notice.pk)  # nor does a repeated delivery
    wait_for(
        "the worker to take the second sweep and the repeat",
        lambda: stack.worker.output().count("succeeded") >= 4,  # sweep, delivery, sweep, repeat
    )

    [mail] = stack.mails()
    message = email.message_from_string(mail.split("\n" + "-" * 79)[0], policy=email.policy.default)
    # Notices go out in the person's language: never chosen, so the one their browser asked for.
    assert (message["To"], message["Subject"]) == ("coordinator.astana@example.kz", f"Report {last_month} received")
