"""An agency's system on the other side of a real HTTP connection, as the README shows it."""

import csv
import io
import json
import urllib.error
import urllib.request

import pytest

from agencies.models import Agency
from agencies.tokens import agency_token_issue
from initiatives.statistics.services import statistics_import
from regions.models import Region
from tests.factories import HEADLINE_2024, HEADLINE_2025

SUMMARY = "/api/v1/kpis/crime.registered/summary/?period_from=2025-01&period_to=2025-09"


@pytest.fixture
def token(reference_data: None) -> str:
    regions = list(Region.objects.top_level().values_list("kato", flat=True))
    lines = ["region,period,indicator,value"]
    lines += [f"{k},2025-01/2025-09,crime.registered,{n}" for k, n in zip(regions, HEADLINE_2025, strict=True)]
    lines += [f"{k},2024-01/2024-09,crime.registered,{n}" for k, n in zip(regions, HEADLINE_2024, strict=True)]
    statistics_import(source=io.BytesIO("\n".join(lines).encode()), filename="1m.csv")
    _, key = agency_token_issue(
        agency=Agency.objects.get(code="mvd"), name="MVD", scopes=["kpi:read"], expires_days=30, user=None
    )
    return key


def get(url: str, token: str | None, accept: str = "application/json") -> tuple[int, str, bytes]:
    headers = {"Accept": accept, "Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:  # noqa: S310
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


@pytest.mark.django_db(transaction=True)
def test_an_agency_pulls_the_national_summary_over_http_as_json_and_csv(live_server, token: str) -> None:
    status, content_type, body = get(live_server.url + SUMMARY, token)
    assert (status, content_type) == (200, "application/json")
    summary = json.loads(body)
    assert (summary["value"], summary["change_percent"], len(summary["breakdown"])) == ("98500", "-6.7", 20)

    status, content_type, body = get(live_server.url + SUMMARY + "&format=csv", token)
    assert status == 200 and content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert (rows[0]["kato"], rows[0]["value"], rows[0]["change_percent"]) == ("KZ", "98500", "-6.7")

    status, _, body = get(live_server.url + SUMMARY, None)
    assert status == 401 and json.loads(body)["error"]["code"] == "not_authenticated"
