"""Separate queues against real workers: full-table exports piling up hold up neither a
small export nor an import. One worker per queue (as docs/background-jobs.md describes),
each of one process, so that what waits, waits for certain."""

import datetime

import pytest
import requests
from django.utils import timezone

from agencies.models import Agency
from agencies.tokens import agency_token_issue
from initiatives.models import Export, ImportBatch, Indicator, Value
from regions.models import Region

from .conftest import Stack, districts, import_token, push, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def reading_token(agency: str) -> str:
    _, key = agency_token_issue(
        agency=Agency.objects.get(code=agency), name="queues test", scopes=["kpi:read"], expires_days=1, user=None
    )
    return key


def ask_export(stack: Stack, token: str, filters: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{stack.url}/api/v1/exports/",
        headers={"Authorization": f"Bearer {token}"},
        json={"format": "csv", "filters": filters},
        timeout=60,
    )


def test_a_small_export_and_an_import_finish_while_full_table_exports_wait(stack: Stack) -> None:
    # Ten years of monthly figures for 500 districts: 60,000 approved values, a full-table
    # export that takes the exports worker a while.
    indicator = Indicator.objects.get(code="crime.registered")
    months = [datetime.date(year, month, 1) for year in range(2016, 2026) for month in range(1, 13)]
    regions = districts(500)
    now = timezone.now()
    Value.objects.bulk_create(
        Value(
            indicator=indicator,
            region_id=region_id,
            period_start=month,
            period_end=month,
            value=7,
            source="import",
            approval_state="approved",
            approved_at=now,
        )
        for region_id in Region.objects.filter(kato__in=regions).values_list("pk", flat=True)
        for month in months
    )
    assert Value.objects.count() == 60_000
    stack.env["SMALL_EXPORT_ROWS"] = "1000"  # 50,000 in production; this table is smaller
    stack.start_queue_worker("exports")
    stack.start_queue_worker("imports")
    stack.start_queue_worker("notices,rollups")
    stack.start_web()

    # One agency's system asks for the whole table three times; a fourth is refused.
    hungry = reading_token("mvd")
    big = [ask_export(stack, hungry, {}) for _ in range(3)]
    assert [answer.status_code for answer in big] == [202, 202, 202], big[-1].text[:300]
    fourth = ask_export(stack, hungry, {})
    assert fourth.status_code == 429
    assert fourth.json()["error"]["code"] == "too_many_exports"
    # Another asks for one district's year, and an import comes in.
    small = ask_export(stack, reading_token("gpo"), {"region": regions[0], "period_from": "2025-01"})
    assert small.status_code == 202
    location = push(
        stack, import_token(), b"region,period,indicator,value\n710000000,2025-09,crime.registered,1300\n", "one.csv"
    )
    batch_id = int(location.rstrip("/").rsplit("/", 1)[1])

    small_id = small.json()["id"]
    wait_for("the small export", lambda: Export.objects.filter(pk=small_id, status="ready").exists(), timeout=240)
    wait_for("the import", lambda: ImportBatch.objects.filter(pk=batch_id, status="succeeded").exists(), timeout=60)
    big_ids = [answer.json()["id"] for answer in big]
    # The small export was built ahead of full-table exports asked for before it: when it
    # was ready, one or two of them had not even started.
    done = Export.objects.get(pk=small_id)
    assert done.rows == 12
    not_started = Export.objects.filter(pk__in=big_ids).exclude(started_at__lt=done.finished_at)
    assert not_started.exists()
    # And all of them are built in the end, each once.
    wait_for(
        "the full-table exports",
        lambda: Export.objects.filter(pk__in=big_ids, status="ready").count() == 3,
        timeout=300,
    )
    built = Export.objects.filter(pk__in=big_ids)
    assert [job.attempts for job in built] == [1, 1, 1]
    # The whole table, with the imported value or without it, by when each was built.
    assert {job.rows for job in built} <= {60_000, 60_001}
