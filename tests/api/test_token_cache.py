"""A process keeps the tokens it looked up, checked against their key version on every
request (agencies/tokens.py): whatever changes a token is seen on its next request.

The revocations run their on-commit hooks as the commit of a real request would
(`django_capture_on_commit_callbacks`: a test's transaction never commits)."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Agency, AgencyToken
from agencies.tokens import agency_token_issue, agency_token_revoke

pytestmark = pytest.mark.django_db

URL = "/api/v1/kpis/crime.registered/"


@pytest.fixture
def issued() -> tuple[AgencyToken, str]:
    cache.clear()
    return agency_token_issue(
        agency=Agency.objects.get(code="mvd"), name="x", scopes=["kpi:read"], expires_days=1, user=None
    )


def get(client, key: str) -> int:  # type: ignore[no-untyped-def]
    return int(client.get(URL, HTTP_AUTHORIZATION=f"Bearer {key}").status_code)


def token_queries(client, key: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert get(client, key) == 200
    return sum("agencies_agencytoken" in q["sql"] for q in queries.captured_queries)


def test_a_known_key_is_not_looked_up_again(client, issued) -> None:  # type: ignore[no-untyped-def]
    _, key = issued
    assert token_queries(client, key) >= 1
    assert token_queries(client, key) == 0


def test_a_revoked_token_is_refused_on_its_next_request(client, issued, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    token, key = issued
    assert get(client, key) == 200
    assert get(client, key) == 200  # known to the process now
    with django_capture_on_commit_callbacks(execute=True):
        agency_token_revoke(token=token, user=None)
    assert get(client, key) == 401


def test_a_token_revoked_in_the_admin_is_refused_on_its_next_request(
    client, issued, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    token, key = issued
    assert get(client, key) == 200
    with django_capture_on_commit_callbacks(execute=True):
        token.revoked = True
        token.save()  # as the admin's form saves it
    assert get(client, key) == 401


def test_a_token_whose_agency_is_made_inactive_is_refused(client, issued, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    token, key = issued
    assert get(client, key) == 200
    with django_capture_on_commit_callbacks(execute=True):
        agency = Agency.objects.get(pk=token.agency_id)
        agency.is_active = False
        agency.save()
    assert get(client, key) == 401


def test_a_lost_key_version_sends_the_process_back_to_the_database(
    client, issued, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    token, key = issued
    assert get(client, key) == 200
    cache.clear()  # Redis flushed or restarted: the versions are gone
    assert token_queries(client, key) >= 1  # looked up again, under a new version
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        agency_token_revoke(token=token, user=None)  # a version set from nothing differs from the kept one
    assert get(client, key) == 401


def test_an_expired_token_is_refused_on_its_next_request(client, issued) -> None:  # type: ignore[no-untyped-def]
    _, key = issued
    assert get(client, key) == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 401
        assert "expired" in response.json()["error"]["message"]


def test_a_known_prefix_with_another_secret_is_refused(client, issued) -> None:  # type: ignore[no-untyped-def]
    _, key = issued
    assert get(client, key) == 200
    prefix, _dot, secret = key.partition(".")
    assert get(client, f"{prefix}.{secret[::-1]}") == 401
    assert get(client, key) == 200
