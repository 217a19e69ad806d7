"""One KPI's detail (`/kpis/{code}/`) is written without the serializer's per-request
fields and without the list's filters: the bytes must be the serializer's, whatever the
KPI (a count, a formula with its factor, one without an English name, an inactive one),
the language and the format."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from initiatives.api.serializers import IndicatorSerializer
from initiatives.models import Indicator
from projectoffice.api_csv import CSVRenderer

pytestmark = pytest.mark.django_db

CODES = ["crime.registered", "crime.registered_per_10k", "no_english", "inactive"]


@pytest.fixture
def kpis(db: None) -> None:
    for code, copied, changes in (
        ("no_english", "crime.registered", {"name_en": ""}),
        ("inactive", "crime.registered_per_10k", {"is_active": False, "factor": "2.5"}),
    ):
        kpi = Indicator.objects.get(code=copied)
        kpi.pk, kpi.id, kpi.code, kpi.role = None, None, code, ""
        for field, value in changes.items():
            setattr(kpi, field, value)
        kpi.save()


def _expected(code: str, language: str, renderer: type) -> bytes:
    with translation.override(language):
        indicator = Indicator.objects.select_related("owner_agency", "numerator", "denominator").get(code=code)
        return renderer().render(IndicatorSerializer(indicator).data)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_one_kpi_is_the_serializers_bytes_in_every_language(caller, kpis, language: str) -> None:
    client = caller("token_kpi")
    for code in CODES:
        response = client.get(f"/api/v1/kpis/{code}/?lang={language}")
        assert response.status_code == 200, response.content
        assert response.content == _expected(code, language, JSONRenderer), code
        csv_answer = client.get(f"/api/v1/kpis/{code}/?lang={language}&format=csv")
        assert csv_answer.content == _expected(code, language, CSVRenderer), code


def test_the_formula_names_its_sides_and_writes_its_factor(caller) -> None:
    body = caller("token_kpi").get("/api/v1/kpis/crime.registered_per_10k/").json()
    assert (body["numerator"], body["denominator"], body["factor"]) == ("crime.registered", "population", "10000.00")


def test_one_kpi_is_one_query_and_an_unknown_code_is_the_same_404(caller) -> None:
    client = caller("token_kpi")
    client.get("/api/v1/kpis/crime.registered/")  # the key is now known to the process
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/kpis/crime.registered/").status_code == 200
    assert len(queries.captured_queries) == 1
    missing = client.get("/api/v1/kpis/crime.nothing/")
    assert missing.status_code == 404
    # The body `get_object` answers for any detail (an initiative's still goes through it).
    assert missing.content == client.get("/api/v1/initiatives/nothing/").content
    # A list's filter is no parameter of the detail: still refused, as the schema says.
    assert client.get("/api/v1/kpis/crime.registered/?unit=count").status_code == 400
