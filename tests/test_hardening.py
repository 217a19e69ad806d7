"""Defects a security review found, each pinned by the caller who must be refused."""

import io
import re
import zipfile

import pytest
from django.test import Client
from openpyxl import Workbook

from agencies.models import Agency
from initiatives.models import Value
from initiatives.statistics.services import StatisticsImportError, statistics_import
from projectoffice.tabular import TableError, read_table
from tests.factories import ValueFactory

pytestmark = pytest.mark.django_db
COLUMNS = ("region", "period", "indicator", "value")


def test_an_xlsx_claiming_a_million_rows_is_read_by_the_cells_it_has() -> None:
    workbook = Workbook()
    workbook.active.append(list(COLUMNS))
    workbook.active.append(["710000000", "2025-09", "crime.registered", "1"])
    packed = io.BytesIO()
    workbook.save(packed)
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(packed.getvalue())) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', data)
                data = data.replace(b'r="2"', b'r="10000"').replace(b'2"', b'10000"')
            out.writestr(item, data)
    rows = list(read_table(io.BytesIO(bomb.getvalue()), required=COLUMNS, filename="bomb.xlsx"))
    assert [r.values["region"] for r in rows] == ["710000000"]


def test_a_csv_field_beyond_the_parsers_limit_is_a_row_report_not_a_crash() -> None:
    data = ("region,period,indicator,value\n710000000,2025-09,crime.registered," + "9" * 200_000 + "\n").encode()
    with pytest.raises(TableError, match="cannot be read"):
        list(read_table(io.BytesIO(data), required=COLUMNS, filename="big.csv"))


def test_an_upload_over_the_size_limit_is_refused_before_reading(caller, settings) -> None:
    settings.MAX_IMPORT_FILE_BYTES = 10
    upload = io.BytesIO(b"region,period,indicator,value\n710000000,2025-09,crime.registered,1\n")
    upload.name = "stats.csv"
    response = caller("token_import").post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "the limit is 0 MB" in response.json()["error"]["message"]


def test_an_agency_imports_only_the_kpis_it_keeps() -> None:
    csv = io.BytesIO(b"region,period,indicator,value\n710000000,2024,population,1\n")
    with pytest.raises(StatisticsImportError) as info:
        statistics_import(source=csv, filename="x.csv", agency=Agency.objects.get(code="mvd"))
    assert "population is kept by bns; a token of mvd may not import it" in info.value.errors[0].message


def test_an_agency_does_not_overwrite_a_figure_the_office_entered() -> None:
    manual = ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1000)
    manual.source = "manual"
    manual.save()
    with pytest.raises(StatisticsImportError) as info:
        statistics_import(
            source=io.BytesIO(b"region,period,indicator,value\n710000000,2025-09,crime.registered,1\n"),
            filename="x.csv",
            agency=Agency.objects.get(code="kpssu"),
        )
    assert (info.value.errors[0].line, info.value.errors[0].column) == (2, "value")
    assert Value.objects.get().value == 1000


def test_staff_cannot_rewrite_an_official_figure_in_the_admin(client: Client, office) -> None:
    official = ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1300)
    client.force_login(office)
    response = client.post(
        f"/admin/initiatives/value/{official.pk}/change/",
        {
            "indicator": official.indicator_id,
            "region": official.region_id,
            "period": "2025-09",
            "value": "999",
            "source": "manual",
        },
    )
    # The page is read-only from the start (it says how to correct the figure); a post
    # sent anyway is refused.
    assert response.status_code == 403
    assert Value.objects.get().value == 1300
    page = client.get(f"/admin/initiatives/value/{official.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "import a corrected file of legal statistics" in page


def test_a_value_changed_by_hand_waits_for_approval_again(client: Client, office) -> None:
    value = ValueFactory(kpi="events.legal_literacy", kato="710000000", period="2025-09", value=40)
    value.source = "manual"
    value.save()
    client.force_login(office)
    client.post(
        f"/admin/initiatives/value/{value.pk}/change/",
        {
            "indicator": value.indicator_id,
            "region": value.region_id,
            "period": "2025-09",
            "value": "41",
            "source": "import",
        },
    )
    value.refresh_from_db()
    assert (value.value, value.approval_state, value.source) == (40, "approved", "manual")  # "import" is not offered
    client.post(
        f"/admin/initiatives/value/{value.pk}/change/",
        {
            "indicator": value.indicator_id,
            "region": value.region_id,
            "period": "2025-09",
            "value": "41",
            "source": "manual",
            "seen_version": value.version,
        },
    )
    value.refresh_from_db()
    assert (value.value, value.approval_state) == (41, "pending")


def test_an_access_administrator_cannot_make_anyone_superuser(client: Client, coordinator_astana) -> None:
    from django.contrib.auth.models import Group

    from agencies.roles import ACCESS_ADMINISTRATORS_GROUP
    from tests.factories import UserFactory

    access_admin = UserFactory(username="access.admin", is_staff=True)
    access_admin.groups.add(Group.objects.get(name=ACCESS_ADMINISTRATORS_GROUP))
    client.force_login(access_admin)
    page = client.get(f"/admin/auth/user/{access_admin.pk}/change/").content.decode()
    assert 'name="groups"' in page  # their own account, which they may change
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page


def test_a_token_can_never_write_a_report(coordinator_astana) -> None:
    from django.core.exceptions import PermissionDenied

    from agencies.models import RegionalBranch
    from agencies.tokens import AgencyCaller, agency_token_issue
    from initiatives.periods import Period
    from initiatives.services.reports import report_create

    token, _key = agency_token_issue(
        agency=Agency.objects.get(code="gpo"), name="x", scopes=["reports:read"], expires_days=1, user=None
    )
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    with pytest.raises(PermissionDenied):
        report_create(
            branch=branch, kind="monthly", period=Period.parse("2025-09"), user=AgencyCaller(token.agency, token)
        )


def test_only_the_office_approves_values(coordinator_astana) -> None:
    from django.core.exceptions import PermissionDenied

    from initiatives.services.values import values_approve

    with pytest.raises(PermissionDenied):
        values_approve(versions={v.pk: v.version for v in Value.objects.all()}, user=coordinator_astana)


def test_coordinators_of_a_deactivated_agency_lose_access(caller, coordinator_astana) -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1)
    client = caller("coordinator_astana")
    Agency.objects.filter(code="gpo").update(is_active=False)
    assert client.get("/api/v1/values/").status_code == 403


def test_too_many_wrong_passwords_pause_the_log_in(client: Client, coordinator_astana, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post("/login/", {"username": "coordinator.astana", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()
    # Even the right password waits now; the admin's log-in is paused the same way.
    again = client.post("/login/", {"username": "coordinator.astana", "password": "correct horse battery staple"})
    assert again.status_code == 429
    admin = client.post("/admin/login/", {"username": "coordinator.astana", "password": "correct horse battery staple"})
    assert admin.status_code == 429


def test_a_right_password_logs_in_as_before(client: Client, coordinator_astana) -> None:
    response = client.post("/login/", {"username": "coordinator.astana", "password": "correct horse battery staple"})
    assert response.status_code == 302 and response["Location"] == "/"
