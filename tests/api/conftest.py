"""The API's cast: people log in, agency systems present tokens."""

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import Agency
from agencies.tokens import agency_token_issue, agency_token_revoke


def token_for(scopes: list[str], agency: str = "mvd", **changes: object) -> str:
    token, key = agency_token_issue(
        agency=Agency.objects.get(code=agency),
        name=f"test {' '.join(scopes)}",
        scopes=scopes,
        expires_days=30,
        user=None,
    )
    for field, value in changes.items():
        setattr(token, field, value)
    if changes:
        token.save()
    return key


@pytest.fixture
def caller(db: None, office, coordinator_astana, coordinator_almaty) -> Callable[[str], APIClient]:  # type: ignore[no-untyped-def]
    """An API client acting as one of the cast, by name."""

    def make(who: str) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        people = {"office": office, "coordinator_astana": coordinator_astana, "coordinator_almaty": coordinator_almaty}
        if who in people:
            client.force_login(people[who])
        elif who == "token_kpi":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(['kpi:read'])}")
        elif who == "token_reports":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(['reports:read'])}")
        elif who == "token_import":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(['statistics:import'], agency='kpssu')}")
        elif who == "token_expired":
            key = token_for(["kpi:read", "statistics:import"], expiry_date=timezone.now() - datetime.timedelta(days=1))
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        elif who == "token_revoked":
            from agencies.models import AgencyToken

            key = token_for(["kpi:read", "statistics:import"])
            agency_token_revoke(token=AgencyToken.objects.get(prefix=key.split(".")[0]), user=None)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        elif who == "token_garbage":
            client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
        else:
            assert who == "anonymous", who
        return client

    return make
