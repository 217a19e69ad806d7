import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from agencies.models import Agency, AgencyToken
from agencies.tokens import agency_token_issue

pytestmark = pytest.mark.django_db


def test_the_command_prints_the_token_once_and_stores_only_a_hash() -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "issue_api_token", "mvd", "--name", "MVD warehouse", "--scopes", "kpi:read", "reports:read",
        "--expires-days", "90", stdout=out, stderr=err,
    )  # fmt: skip
    key = out.getvalue().strip()
    token = AgencyToken.objects.get()
    assert (token.agency.code, token.name, token.scopes) == ("mvd", "MVD warehouse", ["kpi:read", "reports:read"])
    assert key.startswith(token.prefix + ".")
    assert key.split(".")[1] not in token.hashed_key and token.hashed_key.startswith("sha512$$")
    assert (token.expiry_date - timezone.now()).days in (89, 90)
    assert "shown once" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch", "--name", "x"], "no agency with code 'nosuch'"),
        (["mvd", "--name", "x", "--expires-days", "-1"], "cannot be negative"),
    ],
)
def test_the_command_refuses_what_it_cannot_do(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("issue_api_token", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not AgencyToken.objects.exists()


def test_an_unknown_scope_is_refused_by_the_service() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Unknown scope"):
        agency_token_issue(
            agency=Agency.objects.get(code="mvd"), name="x", scopes=["kpi:write"], expires_days=1, user=None
        )


def test_a_token_records_when_it_was_last_used(client: Client) -> None:
    token, key = agency_token_issue(
        agency=Agency.objects.get(code="mvd"), name="x", scopes=["kpi:read"], expires_days=1, user=None
    )
    assert token.last_used_at is None
    response = client.get("/api/v1/kpis/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.history.count() == 1  # using a token is not a change to it


def test_staff_issue_a_token_in_the_admin_and_see_it_once(client: Client, office) -> None:
    client.force_login(office)
    response = client.post(
        "/admin/agencies/agencytoken/add/",
        {"name": "Akimat of Astana", "agency": Agency.objects.get(code="akimats").pk, "scopes": ["kpi:read"]},
        follow=True,
    )
    token = AgencyToken.objects.get()
    messages = [str(m) for m in response.context["messages"]]
    assert any(token.prefix in m and "you will not be able to see it again" in m for m in messages)
    assert (token.created_by, token.scopes) == (office, ["kpi:read"])
    assert token.history.get().history_user == office


def test_a_coordinator_cannot_issue_tokens(client: Client, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    response = client.get("/admin/agencies/agencytoken/add/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_requests_are_limited_per_token(client: Client, settings) -> None:
    from django.core.cache import cache
    from rest_framework.settings import api_settings

    from projectoffice.api_throttles import KeyThrottle

    cache.clear()
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "agency_token": "3/minute"}
    KeyThrottle.THROTTLE_RATES = rates
    try:
        _, first = agency_token_issue(
            agency=Agency.objects.get(code="mvd"), name="a", scopes=["kpi:read"], expires_days=1, user=None
        )
        _, second = agency_token_issue(
            agency=Agency.objects.get(code="afm"), name="b", scopes=["kpi:read"], expires_days=1, user=None
        )
        statuses = [client.get("/api/v1/kpis/", HTTP_AUTHORIZATION=f"Bearer {first}").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/api/v1/kpis/", HTTP_AUTHORIZATION=f"Bearer {first}", HTTP_ACCEPT_LANGUAGE="en").json()
        assert limited["error"]["code"] == "throttled" and limited["error"]["retry_after_seconds"] > 0
        assert client.get("/api/v1/kpis/", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200
    finally:
        KeyThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.clear()


def test_anonymous_callers_are_limited_by_the_address_the_lock_out_believes(rf, settings) -> None:
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request

    from projectoffice.api_throttles import PersonThrottle

    def ident(forwarded: str) -> str | None:
        request = rf.get("/api/v1/kpis/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
        request.user = AnonymousUser()
        return PersonThrottle().ident(Request(request))

    settings.TRUSTED_PROXY_COUNT = 0
    # No proxy trusted: a header the client wrote is not a new bucket.
    assert ident("1.1.1.1") == ident("2.2.2.2") == "ip:10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 1
    # Behind the TLS proxy: each client by the address the proxy appended, whatever it forged.
    assert ident("6.6.6.6, 192.0.2.7") == ident("192.0.2.7") == "ip:192.0.2.7"
    assert ident("203.0.113.5") != ident("192.0.2.7")
