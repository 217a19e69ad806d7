"""What every token request pays before its own work: a look-up of the key once per process
(then its key version, read with the request's counter in one round trip to the cache), a
write of its last use at most once a minute."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency, AgencyToken
from agencies.tokens import agency_token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> str:
    _, key = agency_token_issue(
        agency=Agency.objects.get(code="mvd"), name="x", scopes=["kpi:read"], expires_days=1, user=None
    )
    return key


def test_last_use_is_written_once_a_minute_not_on_every_request(client, key: str) -> None:  # type: ignore[no-untyped-def]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/kpis/crime.registered/", **auth).status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get("/api/v1/kpis/crime.registered/", **auth).status_code == 200
    writes = [q["sql"] for q in first.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(writes) == 1 and "last_used_at" in writes[0]
    assert not any(q["sql"].startswith("UPDATE") for q in second.captured_queries)
    assert len(second.captured_queries) == 1  # the KPI: the key (with its agency) is known to the process
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        client.get("/api/v1/kpis/crime.registered/", **auth)
        used = AgencyToken.objects.get().last_used_at
        assert used is not None and timezone.now() - used < datetime.timedelta(seconds=5)


def test_the_request_limit_is_one_counter_per_key_and_minute(client, key: str) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    for _ in range(3):
        client.get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {key}")
    prefix = key.split(".")[0]
    window = int(datetime.datetime.now(tz=datetime.UTC).timestamp() // 60)
    counts = [cache.get(f"throttle:agency_token:{prefix}:{w}") for w in (window - 1, window)]
    assert sum(c or 0 for c in counts) == 3
