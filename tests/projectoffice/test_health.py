import os

import pytest
from django.test import Client, override_settings


@pytest.mark.django_db
def test_it_reports_the_database_and_no_redis_when_none_is_configured(client: Client) -> None:
    with override_settings(REDIS_URL=""):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not configured",
        "rollups": {"state": "never checked"},
    }


@pytest.mark.django_db
def test_it_answers_503_and_names_redis_when_redis_is_unreachable(client: Client) -> None:
    # Port 9 (discard) is closed on the test machines: the connection is refused at once.
    with override_settings(REDIS_URL="redis://127.0.0.1:9/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["redis"].startswith("error: ")


@pytest.mark.redis
@pytest.mark.django_db
def test_it_reports_a_live_redis(client: Client) -> None:
    with override_settings(REDIS_URL=os.environ["REDIS_URL"]):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


@pytest.mark.django_db
def test_it_does_not_need_a_log_in_and_is_never_cached(client: Client) -> None:
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_an_app_s_report_is_collected_from_its_app_config_and_its_failure_spoils_nothing(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # initiatives offers its rollups report through InitiativesConfig.health_reports.
    def broken() -> dict[str, str]:
        raise RuntimeError("no table")

    monkeypatch.setattr("initiatives.selectors.figures.rollups_health", broken)
    with override_settings(REDIS_URL=""):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["rollups"] == {"state": "error: RuntimeError"}
