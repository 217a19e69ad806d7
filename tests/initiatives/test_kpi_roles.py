"""Which KPI plays which part is data (the catalogue's `role` column), read through
`initiatives.selectors.kpi_roles`; no KPI code is written in the application's code."""

import ast
import csv
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client

from initiatives.models import Indicator, KpiRole
from initiatives.reference_data import INDICATORS_FILE, indicator_rows, load_indicators
from initiatives.resources import IndicatorResource
from initiatives.selectors.kpi_roles import kpi_of_role, kpis_of_role


def kpi_code(role: KpiRole) -> str | None:
    found = kpi_of_role(role)
    return found.code if found else None


def kpi_codes(role: KpiRole) -> tuple[str, ...]:
    return tuple(kpis_of_role(role).values_list("code", flat=True))


ROOT = Path(__file__).resolve().parent.parent.parent

# Where a KPI code may be written: the catalogue's one reader, the demo, migrations and the
# API's documented examples.
ALLOWED = {
    "initiatives/selectors/kpi_roles.py",
    "initiatives/api/examples.py",
}
SKIPPED_DIRS = {".venv", "tests", "bench", "migrations", "node_modules", "static", "locale", "locale_django"}


def _allowed(relative: str) -> bool:
    parts = relative.split("/")
    return (
        relative in ALLOWED
        or relative.startswith("initiatives/demo/")
        or any(p in SKIPPED_DIRS or p.startswith(".") for p in parts[:-1])
    )


def _field_names() -> set[str]:
    """The models' fields and the API's (a region's `population` is a field of
    `/api/v1/regions/`, read from KPI values, no longer a model's)."""
    from projectoffice.api_schema import built_schema

    api = {name for shape in built_schema()["components"]["schemas"].values() for name in shape.get("properties", {})}
    return {f.name for model in apps.get_models() for f in model._meta.get_fields()} | api


def literal_codes(source: str, codes: set[str], field_names: set[str]) -> list[tuple[int, str]]:
    """The KPI codes written as string literals in `source`. A code that is also a model
    field's name ("population") is a field name where it stands as a dict key, an index,
    an element of a list or tuple, or an argument: there it is not counted."""
    tree = ast.parse(source)
    name_positions: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            name_positions |= {id(k) for k in node.keys if k is not None}
        elif isinstance(node, ast.Subscript):
            name_positions.add(id(node.slice))
        elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            name_positions |= {id(e) for e in node.elts}
        elif isinstance(node, ast.Call):
            name_positions |= {id(a) for a in node.args}
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in codes
        and not (node.value in field_names and id(node) in name_positions)
    )


@pytest.mark.django_db
def test_no_kpi_code_is_written_in_the_application_code() -> None:
    codes = {row["code"] for row in indicator_rows()}
    field_names = _field_names()
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if _allowed(relative):
            continue
        for line, code in literal_codes(path.read_text(encoding="utf-8"), codes, field_names):
            found.append(f"{relative}:{line}: {code!r}")
    assert not found, "KPI codes in code; give the KPI a role in indicators.csv instead:\n" + "\n".join(found)


def test_the_scan_tells_a_kpi_code_from_a_field_name() -> None:
    codes = {"population", "crime.registered"}
    source = (
        'POPULATION_CODE = "population"\n'
        'found = Indicator.objects.filter(code="crime.registered")\n'
        'shown = kpi == "population"\n'
        'row = {"population": 1}\n'
        'people = row["population"]\n'
        'fields = ["kato", "population"]\n'
        'label = _("population")\n'
        "# crime.registered in a comment\n"
    )
    assert literal_codes(source, codes, {"population"}) == [
        (1, "population"),
        (2, "crime.registered"),
        (3, "population"),
    ]


@pytest.mark.django_db
def test_the_catalogue_gives_each_part_its_kpi() -> None:
    assert kpi_code(KpiRole.HEADLINE) == "crime.registered"
    assert kpi_codes(KpiRole.CARD) == ("crime.registered", "settlements.alcohol_free")
    assert kpi_code(KpiRole.POPULATION) == "population"
    assert kpi_code(KpiRole.OUTCOME) == "crime.registered"
    assert kpi_code(KpiRole.ALCOHOL_FREE) == "settlements.alcohol_free"
    assert [kpi_code(r) for r in KpiRole if r.value.startswith("citizen_reports")] == [
        "citizen_reports.received",
        "citizen_reports.confirmed",
        "citizen_reports.rewarded",
    ]
    # The file and the database agree (the data migration read the column).
    with INDICATORS_FILE.open(encoding="utf-8", newline="") as f:
        in_file = {row["code"]: row["role"] for row in csv.DictReader(f) if row["role"]}
    assert dict(Indicator.objects.exclude(role="").values_list("code", "role")) == in_file


@pytest.mark.django_db
def test_a_role_moved_in_the_data_moves_what_the_code_reads() -> None:
    Indicator.objects.filter(code="crime.registered").update(role="card outcome")
    theft = Indicator.objects.get(code="crime.theft")
    theft.role = "headline"
    theft.save()
    assert kpi_code(KpiRole.HEADLINE) == "crime.theft"
    assert list(Indicator.objects.with_role(KpiRole.HEADLINE).values_list("code", flat=True)) == ["crime.theft"]
    assert theft.has_role(KpiRole.HEADLINE) and not theft.has_role(KpiRole.CARD)


@pytest.mark.django_db
def test_one_kpi_per_role_except_the_cards() -> None:
    theft = Indicator.objects.get(code="crime.theft")
    theft.role = "headline"
    with pytest.raises(ValidationError) as refused:
        theft.full_clean()
    assert "role" in refused.value.message_dict
    theft.role = "card"  # the cards are several
    theft.full_clean()
    theft.role = "headliner"
    with pytest.raises(ValidationError):
        theft.full_clean()


@pytest.mark.django_db
def test_the_catalogue_loads_on_a_model_without_the_role_field() -> None:
    """The migrations before the role's load the catalogue through historical models that
    lack the field: the column is then left unread."""

    class Without:
        _meta = type(
            "Meta",
            (),
            {"get_fields": staticmethod(lambda: [f for f in Indicator._meta.get_fields() if f.name != "role"])},
        )
        objects = Indicator.objects

    Indicator.objects.filter(code="population").update(role="")
    from agencies.models import Agency

    load_indicators(Without, Agency)
    assert Indicator.objects.get(code="population").role == ""
    load_indicators(Indicator, Agency)
    assert Indicator.objects.get(code="population").role == "population"


@pytest.mark.django_db
def test_the_admin_catalogue_export_carries_the_role_column() -> None:
    exported = IndicatorResource().export(
        queryset=Indicator.objects.filter(code__in=["crime.registered", "crime.theft"])
    )
    rows = list(csv.DictReader(io.StringIO(exported.csv)))
    assert "role" in rows[0]
    assert {r["code"]: r["role"] for r in rows} == {"crime.registered": "headline card outcome", "crime.theft": ""}


def test_the_api_does_not_show_the_role() -> None:
    from initiatives.api.serializers import IndicatorSerializer

    assert "role" not in IndicatorSerializer().fields


@pytest.mark.django_db
def test_the_admin_catalogue_import_writes_the_role(client: Client, office) -> None:
    client.force_login(office)
    content = (
        "code,name_kk,name_ru,name_en,unit,direction,aggregation_regions,aggregation_time,frequency,owner_agency,"
        "source,numerator,denominator,factor,decimal_places,is_active,role\n"
        "crime.cyber,Киберқылмыстар,Киберпреступления,Cybercrimes,count,lower,sum,sum,monthly,kpssu,statistics,,,,0,1,card\n"
    )
    upload = io.BytesIO(content.encode())
    upload.name = "kpis.csv"
    preview = client.post(
        "/admin/initiatives/indicator/import/", {"format": "0", "import_file": upload, "resource": "0"}
    )
    assert preview.status_code == 200
    confirm = client.post("/admin/initiatives/indicator/process_import/", dict(preview.context["confirm_form"].initial))
    assert confirm.status_code == 302
    assert Indicator.objects.get(code="crime.cyber").role == "card"
    assert kpi_codes(KpiRole.CARD) == ("crime.cyber", "crime.registered", "settlements.alcohol_free")


def test_the_scan_lets_the_demo_package_name_kpis_and_nothing_beside_it() -> None:
    assert _allowed("initiatives/demo/__init__.py")
    assert _allowed("initiatives/demo/statistics.py")
    assert not _allowed("initiatives/demo.py")
    assert not _allowed("initiatives/demo_statistics.py")
    assert not _allowed("initiatives/management/demo_reports.py")
    assert not _allowed("initiatives/demos/statistics.py")
