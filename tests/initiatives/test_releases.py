"""Releases: figures frozen at a moment, confirmed by a second member of the office,
listed and downloadable through the API, never edited (withdrawn or corrected by an
erratum instead), and a later correction shown beside the live figure."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.test import Client
from openpyxl import load_workbook

from initiatives.engine.summary import kpi_summary
from initiatives.models import Indicator, PublicFigure, Release, ReleaseFigure, ReleaseState, Value
from initiatives.periods import Month, Period
from initiatives.services.releases import (
    ReleaseError,
    release_confirm,
    release_erratum,
    release_publish,
    release_withdraw,
)
from regions.models import Region
from tests.factories import T0, offence_months, published, year_months

pytestmark = pytest.mark.django_db


@pytest.fixture
def statistics() -> None:
    offence_months(18, [*year_months(2025, 6), *year_months(2026, 6)])


def test_a_release_freezes_every_kpi_and_region_as_of_its_moment_and_a_correction_does_not_change_it(
    statistics, office, second_office
) -> None:
    with time_machine.travel(T0, tick=False):
        call_command("publish_release", "2026-01/2026-03", "--title", "Q1 2026", "--by", "office", stdout=io.StringIO())
    release = Release.objects.get()
    assert (release.title, release.period, release.state) == ("Q1 2026", "2026-Q1", ReleaseState.PENDING)
    assert release.published_by == office and release.moment == T0
    registered = Indicator.objects.get(code="crime.registered")
    frozen = ReleaseFigure.objects.get(release=release, indicator=registered, region=None)
    summary = kpi_summary(indicator=registered, region=None, span=Period.parse("2026-01/2026-03"))
    assert frozen.value == summary.own.value.value and frozen.previous == summary.own.previous.value
    # Every dashboard KPI, nationally and for the 20 regions.
    kpis = ReleaseFigure.objects.filter(release=release).values("indicator").distinct().count()
    assert ReleaseFigure.objects.filter(release=release).count() == kpis * 21 and kpis >= 10

    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        row = Value.objects.get(indicator=registered, region__kato="710000000", period_start=datetime.date(2026, 2, 1))
        row.value += 7
        row.save()
    frozen.refresh_from_db()
    assert frozen.value == summary.own.value.value  # the correction came after the moment
    after = kpi_summary(indicator=registered, region=None, span=Period.parse("2026-01/2026-03"))
    assert after.own.value.value == frozen.value + 7


def test_the_database_refuses_to_change_or_delete_a_release_figure(statistics, office, second_office) -> None:
    release = published("2026-01/2026-03", office, second_office)
    for rows in (ReleaseFigure.objects.filter(release=release), PublicFigure.objects.filter(release=release)):
        with pytest.raises(DatabaseError), transaction.atomic():
            rows.update(value=Decimal(1))
        with pytest.raises(DatabaseError), transaction.atomic():
            rows.filter(region__isnull=True).delete()


def test_a_release_is_confirmed_by_a_second_member_of_the_office_only(
    statistics, office, second_office, coordinator_astana
) -> None:
    release = release_publish(period=Period.parse("2026-01/2026-03"), user=office)
    with pytest.raises(ReleaseError, match="another member"):
        release_confirm(release=release, user=office)
    with pytest.raises(PermissionDenied):
        release_confirm(release=release, user=coordinator_astana)
    with pytest.raises(PermissionDenied):
        release_publish(period=Period.parse("2026-01/2026-03"), user=coordinator_astana)
    assert not PublicFigure.objects.exists()
    release = release_confirm(release=release, user=second_office)
    assert (release.state, release.confirmed_by) == (ReleaseState.PUBLISHED, second_office)
    assert release_confirm(release=release, user=second_office).confirmed_at == release.confirmed_at  # twice: once
    assert PublicFigure.objects.filter(release=release).count() == ReleaseFigure.objects.filter(release=release).count()
    assert [h.history_type for h in release.history.order_by("history_id")] == ["+", "~"]
    assert release.history.latest().history_user == second_office


def test_a_wrong_release_is_withdrawn_or_corrected_by_an_erratum_with_its_reason(
    statistics, office, second_office, client: Client
) -> None:
    first = published("2026-01/2026-03", office, second_office, title="Q1")
    with pytest.raises(ReleaseError):
        release_withdraw(release=first, user=office, reason="  ")
    erratum = release_erratum(release=first, user=office, reason="Astana's February was counted twice")
    assert (erratum.corrects, erratum.state, erratum.period) == (first, ReleaseState.PENDING, first.period)
    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=True):
        release_confirm(release=erratum, user=second_office)
    page = client.get("/public/").content.decode()
    assert "Astana&#x27;s February was counted twice" in page or "Astana's February was counted twice" in page

    release_withdraw(release=erratum, user=office, reason="a new erratum follows")
    erratum.refresh_from_db()
    assert (erratum.state, erratum.withdrawn_reason) == (ReleaseState.WITHDRAWN, "a new erratum follows")
    assert Release.objects.published().get() == first  # the public page falls back to the first
    # Its figures are as they were: never edited.
    assert ReleaseFigure.objects.filter(release=erratum).count() == ReleaseFigure.objects.filter(release=first).count()


def test_releases_are_listed_for_everyone_and_pending_ones_for_the_office_only(
    statistics, office, second_office, caller
) -> None:
    out = published("2026-01/2026-03", office, second_office)
    release_publish(period=Period.parse("2026-01/2026-06"), user=office)
    anonymous = Client()
    listed = anonymous.get("/api/v1/releases/").json()
    assert [r["id"] for r in listed["results"]] == [out.pk]
    assert listed["results"][0]["confirmed_by"] == "office.second"
    assert len(caller("office").get("/api/v1/releases/").json()["results"]) == 2
    assert len(caller("coordinator_astana").get("/api/v1/releases/").json()["results"]) == 1


def test_a_releases_figures_come_as_json_csv_and_xlsx_whole_to_the_office_and_withheld_to_the_public(
    statistics, office, second_office, caller
) -> None:
    release = published("2026-01/2026-03", office, second_office)
    url = f"/api/v1/releases/{release.pk}/figures/"
    known = caller("office")
    rows = known.get(url, {"kpi": "crime.registered"}).json()["figures"]
    national = next(r for r in rows if r["kato"] == "")
    frozen = ReleaseFigure.objects.get(release=release, indicator__code="crime.registered", region=None)
    assert Decimal(national["value"]) == frozen.value and len(rows) == 21

    csv_text = known.get(url, {"format": "csv", "kpi": "crime.registered"}).content.decode()
    assert csv_text.splitlines()[0] == "kpi,kato,name,value,previous,change_percent,rate_per_10k,target,status"
    assert len(csv_text.splitlines()) == 22
    sheet = load_workbook(io.BytesIO(known.get(url, {"format": "xlsx"}).content)).active
    assert sheet is not None and sheet.max_row == 1 + ReleaseFigure.objects.filter(release=release).count()

    public_rows = Client().get(url, {"format": "csv"}).content.decode().splitlines()
    assert public_rows[0].endswith(",suppressed")
    small = ReleaseFigure.objects.filter(release=release, value__gte=1, value__lt=5).count()
    assert small and sum(1 for line in public_rows if line.endswith(",below")) >= small


def test_the_admin_publishes_and_a_second_member_confirms(statistics, office, second_office) -> None:
    first, second = Client(), Client()
    first.force_login(office)
    second.force_login(second_office)
    added = first.post("/admin/initiatives/release/add/", {"period": "2026-01/2026-03", "title": "Q1"})
    assert added.status_code == 302
    release = Release.objects.get()
    assert (release.period, release.published_by, release.state) == ("2026-Q1", office, ReleaseState.PENDING)
    confirm = {"action": "confirm", "_selected_action": [release.pk]}
    first.post("/admin/initiatives/release/", confirm)
    release.refresh_from_db()
    assert release.state == ReleaseState.PENDING  # the publisher cannot confirm
    second.post("/admin/initiatives/release/", confirm)
    release.refresh_from_db()
    assert (release.state, release.confirmed_by) == (ReleaseState.PUBLISHED, second_office)
    second.post(
        "/admin/initiatives/release/", {"action": "withdraw", "_selected_action": [release.pk], "reason": "typo"}
    )
    release.refresh_from_db()
    assert (release.state, release.withdrawn_reason) == (ReleaseState.WITHDRAWN, "typo")


def test_the_dashboard_shows_a_correction_since_the_release_beside_the_live_figure(
    statistics, office, second_office, client: Client
) -> None:
    published("2026-01/2026-03", office, second_office, title="Q1 2026")
    client.force_login(office)
    assert "revised since release" not in client.get("/dashboard/", {"period": "2026-Q1"}).content.decode()
    row = Value.objects.get(
        indicator__code="crime.registered", region__kato="710000000", period_start=datetime.date(2026, 2, 1)
    )
    row.value += 7
    row.save()
    page = client.get("/dashboard/", {"period": "2026-Q1"}).content.decode()
    assert "revised since release" in page and 'id="revised-own"' in page


def test_a_frozen_figure_is_named_as_people_name_it_not_by_its_ids(statistics, office, second_office) -> None:
    release = published("2026-01/2026-03", office, second_office, title="Q1")
    astana = ReleaseFigure.objects.get(release=release, indicator__code="crime.theft", region__kato="710000000")
    national = PublicFigure.objects.get(release=release, indicator__code="crime.theft", region__isnull=True)
    theft = Indicator.objects.get(code="crime.theft")
    assert str(astana) == f"{release} · {Region.objects.get(kato='710000000')} · {theft}"
    assert str(national).endswith(f" · {theft}") and f":{theft.pk}:" not in str(national)


def test_counts_that_could_not_be_fully_protected_are_said_once_in_words(
    office, second_office, caplog: pytest.LogCaptureFixture
) -> None:
    # Every count small: nothing is left to withhold beside them in many sums.
    offence_months(7, [*year_months(2025, 3), *year_months(2026, 3)], small=1.0)
    with caplog.at_level("WARNING", logger="initiatives.services.releases"):
        published("2026-01/2026-03", office, second_office)
    said = [r.getMessage() for r in caplog.records if r.name == "initiatives.services.releases"]
    assert len(said) == 1, said
    assert "could not be fully protected" in said[0] and "crime." in said[0]
    assert "\n" not in said[0] and "('" not in said[0] and len(said[0]) < 600


ASTANA, ALMATY = "710000000", "750000000"


@pytest.fixture
def small_counts() -> None:
    """A month of form 1-M with two KPIs of tiny counts in every region (this seed gives
    Astana and Almaty counts from 1 to 4 in both)."""
    offence_months(9, [Month(2026, 3)], tiny=("crime.especially_grave", "crime.internet_fraud"))


def figures_as(client, url: str) -> tuple[list[str], dict[tuple[str, str], dict[str, object]]]:  # type: ignore[no-untyped-def]
    """The figures a caller receives, as JSON, after checking the CSV says the same."""
    rows = client.get(url).json()["figures"]
    lines = client.get(url, {"format": "csv"}).content.decode().splitlines()
    header = lines[0].split(",")
    assert header == list(rows[0])
    from_csv = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    plain = [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]
    assert [{k: r[k] for k in header if k != "name"} for r in from_csv] == [
        {k: r[k] for k in header if k != "name"} for r in plain
    ]
    return header, {(str(r["kpi"]), str(r["kato"])): r for r in rows}


@pytest.mark.parametrize(
    ("who", "exact_in_astana", "exact_elsewhere"),
    [
        ("office", True, True),
        ("token_kpi", True, True),
        ("coordinator_astana", True, False),
        ("token_import", False, False),
        ("anonymous", False, False),
    ],
)
def test_a_releases_small_counts_are_exact_only_to_whom_the_brief_shows_them(
    small_counts, office, second_office, caller, who, exact_in_astana, exact_elsewhere
) -> None:
    release = published("2026-03", office, second_office)
    small = ReleaseFigure.objects.filter(release=release, value__gte=1, value__lt=5).select_related(
        "indicator", "region"
    )
    in_astana = next(f for f in small if f.region and f.region.kato == ASTANA)
    elsewhere = next(f for f in small if f.region and f.region.kato == ALMATY)
    header, rows = figures_as(caller(who), f"/api/v1/releases/{release.pk}/figures/")
    for figure, exact in ((in_astana, exact_in_astana), (elsewhere, exact_elsewhere)):
        got = rows[(figure.indicator.code, figure.region.kato)]
        if exact:
            assert Decimal(str(got["value"])) == figure.value, (who, figure)
            assert got.get("suppressed", "") == ""
        else:
            assert got["value"] is None and got["suppressed"] == "below", (who, figure)
    # The nation is not a coordinator's own region: they see it as the public does.
    exact_nationally = who in ("office", "token_kpi")
    assert ("suppressed" not in header) == exact_nationally
    national = rows[(in_astana.indicator.code, "")]
    if exact_nationally:
        frozen = ReleaseFigure.objects.get(release=release, region=None, indicator=in_astana.indicator)
        assert Decimal(str(national["value"])) == frozen.value
    else:
        public = PublicFigure.objects.get(release=release, region=None, indicator=in_astana.indicator)
        shown = None if national["value"] is None else Decimal(str(national["value"]))
        assert (shown, national["suppressed"]) == (public.value, public.value_suppressed)
