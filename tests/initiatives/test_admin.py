"""The staff admin as project-office staff use it, and as a coordinator may not."""

import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from agencies.models import Agency
from initiatives.models import Campaign, Indicator, Initiative, Target, Value
from initiatives.periods import Period
from regions.models import Region
from tests.factories import IndicatorFactory, RegionFactory, ValueFactory

pytestmark = pytest.mark.django_db


def inline_management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_staff_create_an_initiative_with_its_campaigns_and_kpis(staff: Client, office) -> None:
    village = RegionFactory(name_ru="село Аккум")
    registered = Indicator.objects.get(code="crime.registered")
    response = staff.post(
        "/admin/initiatives/initiative/add/",
        {
            "code": "alcohol-free-kyzylorda",
            "direction": "safe_environment",
            "status": "active",
            "owner": office.pk,
            "start_date": "2025-04-01",
            "end_date": "2030-12-31",
            "name_kk": "Қызылорда ішімдіксіз ауылдары",
            "name_ru": "Сёла без алкоголя Кызылординской области",
            "name_en": "Alcohol-free villages of Kyzylorda region",
            "lead_agency": Agency.objects.get(code="akimats").pk,
            "participating_agencies": [Agency.objects.get(code="mvd").pk],
            "regions": [Region.objects.get(kato="430000000").pk],
            "indicators": [registered.pk],
            **inline_management("campaigns", 1),
            "campaigns-0-kind": "alcohol_free",
            "campaigns-0-status": "active",
            "campaigns-0-name_kk": "Аққұм",
            "campaigns-0-name_ru": "Аккум",
            "campaigns-0-name_en": "Akkum",
            "campaigns-0-region": village.pk,
            "campaigns-0-start_date": "2025-05-12",
            "campaigns-0-settlement_stage": "declared",
            "campaigns-0-declared_on": "2025-05-12",
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    initiative = Initiative.objects.get(code="alcohol-free-kyzylorda")
    assert list(initiative.indicators.all()) == [registered]
    campaign = Campaign.objects.get(initiative=initiative)
    assert (campaign.region, campaign.settlement_stage) == (village, "declared")
    # The form saves the row, then each many-to-many field: every step is recorded as office's.
    assert set(initiative.history.values_list("history_user", flat=True)) == {office.pk}
    assert initiative.history.first().participating_agencies.get().agency.code == "mvd"
    assert campaign.history.get().history_user == office


def test_an_alcohol_free_campaign_in_a_whole_region_is_refused_on_the_form(staff: Client) -> None:
    initiative_pk = Initiative.objects.create(
        code="x",
        direction="prevention",
        lead_agency=Agency.objects.get(code="gpo"),
        start_date="2025-01-01",
        name_kk="x",
        name_ru="x",
    ).pk
    response = staff.post(
        "/admin/initiatives/campaign/add/",
        {
            "initiative": initiative_pk,
            "kind": "alcohol_free",
            "status": "active",
            "region": Region.objects.get(kato="430000000").pk,
            "start_date": "2025-05-12",
            "name_kk": "x",
            "name_ru": "x",
            "settlement_stage": "declared",
            "declared_on": "2025-05-12",
        },
    )
    assert response.status_code == 200
    assert "held in a settlement or rural okrug" in response.content.decode()
    assert not Campaign.objects.exists()


def test_staff_set_targets_on_a_kpi_and_see_the_history_of_a_changed_one(staff: Client, office) -> None:
    indicator = IndicatorFactory(code="test.targets")
    astana = Region.objects.get(kato="710000000")
    base = {
        "code": "test.targets",
        "unit": "count",
        "direction": "lower",
        "frequency": "monthly",
        "owner_agency": indicator.owner_agency_id,
        "source": "statistics",
        "is_active": "on",
        "name_kk": indicator.name_kk,
        "name_ru": indicator.name_ru,
        "name_en": indicator.name_en,
        "aggregation_regions": "sum",
        "aggregation_time": "sum",
        "decimal_places": "0",
    }
    response = staff.post(
        f"/admin/initiatives/indicator/{indicator.pk}/change/",
        {
            **base,
            **inline_management("targets", 2),
            "targets-0-year": "2026",
            "targets-0-region": astana.pk,
            "targets-0-target_value": "1000",
            "targets-0-baseline_value": "1100",
            "targets-0-baseline_year": "2025",
            "targets-1-year": "2026",
            "targets-1-region": "",
            "targets-1-target_value": "90000",
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    target = Target.objects.get(indicator=indicator, region=astana)

    response = staff.post(
        f"/admin/initiatives/target/{target.pk}/change/",
        {
            "indicator": indicator.pk,
            "region": astana.pk,
            "year": "2026",
            "target_value": "950",
            "baseline_value": "1100",
            "baseline_year": "2025",
            "note": "lowered after the Q3 review",
        },
    )
    assert response.status_code == 302

    history = staff.get(f"/admin/initiatives/target/{target.pk}/history/")
    page = history.content.decode()
    assert history.status_code == 200
    assert "office" in page
    # The change in words, in the KPI's places: "Target value: 1 000 → 950".
    assert re.search(r"Target value: 1\D?000&nbsp;&rarr;&nbsp;950<", page)
    assert Target.objects.get(pk=target.pk).history.first().history_user == office


def test_a_kpis_targets_read_as_the_kpi_writes_them_in_boxes_that_fit_a_laptop(staff: Client) -> None:
    indicator = IndicatorFactory(code="test.wide", decimal_places=0)
    Target.objects.create(indicator=indicator, year=2026, target_value=Decimal("109618"), baseline_value=None)
    page = staff.get(f"/admin/initiatives/indicator/{indicator.pk}/change/").content.decode()
    box = re.search(r'<input[^>]*name="targets-0-target_value"[^>]*>', page)
    assert box is not None and 'value="109618"' in box.group(0), box  # not "109618.0000"
    note = re.search(r'<textarea[^>]*name="targets-0-note"[^>]*>', page)
    assert note is not None and 'rows="2"' in note.group(0) and "vLargeTextField" not in note.group(0)


def test_a_value_is_entered_with_its_period_written_as_people_write_it(staff: Client) -> None:
    response = staff.post(
        "/admin/initiatives/value/add/",
        {
            "indicator": Indicator.objects.get(code="crime.registered").pk,
            "region": Region.objects.get(kato="710000000").pk,
            "period": "2025-01/2025-09",
            "value": "11616",
            "source": "manual",
            "comment": "",
        },
    )
    assert response.status_code == 302
    assert str(Value.objects.get().period) == "2025-01/2025-09"


def test_a_bad_period_keeps_the_input_and_says_what_is_accepted(staff: Client) -> None:
    response = staff.post(
        "/admin/initiatives/value/add/",
        {
            "indicator": Indicator.objects.get(code="crime.registered").pk,
            "region": Region.objects.get(kato="710000000").pk,
            "period": "2025-13",
            "value": "11616",
            "source": "manual",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "month 13 is not between 01 and 12" in page
    assert 'value="2025-13"' in page and 'value="11616"' in page
    assert not Value.objects.exists()


def add_value(staff: Client, value: str, language: str = "en"):
    return staff.post(
        "/admin/initiatives/value/add/",
        {
            "indicator": Indicator.objects.get(code="crime.registered").pk,
            "region": Region.objects.get(kato="710000000").pk,
            "period": "2025-09",
            "value": value,
            "source": "manual",
            "comment": "checked by hand",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_adding_a_value_for_a_key_that_has_one_is_a_form_error_and_overwrites_nothing(staff: Client) -> None:
    there = ValueFactory(kpi="crime.registered", period="2025-09", value=Decimal(1432), approved=False)
    response = add_value(staff, "1500", language="ru")
    page = response.content.decode()
    assert response.status_code == 200
    assert "уже есть значение" in page and "Ничего не сохранено" in page
    with translation.override("ru"):
        assert f"{there.indicator.name} для" in page  # the KPI by its name, not its code
    assert f"/admin/initiatives/value/{there.pk}/change/" in page
    assert 'value="1500"' in page and 'value="2025-09"' in page and "checked by hand" in page
    assert list(Value.objects.values_list("value", flat=True)) == [Decimal(1432)]


def test_a_negative_value_is_refused_in_the_readers_language(staff: Client) -> None:
    response = add_value(staff, "-5", language="kk")
    page = response.content.decode()
    assert response.status_code == 200
    assert "теріс бола алмайды" in page
    assert "value_not_negative" not in page
    assert 'value="-5"' in page
    assert not Value.objects.exists()


def test_staff_approve_values_with_an_action(staff: Client, office) -> None:
    value = ValueFactory(approved=False)
    response = staff.post(
        "/admin/initiatives/value/",
        {"action": "approve", "_selected_action": [value.pk], f"seen_{value.pk}": value.version},
    )
    assert response.status_code == 302
    value.refresh_from_db()
    assert (value.approval_state, value.approved_by) == ("approved", office)


def test_kpi_catalogue_import_shows_a_preview_then_writes_on_confirmation(staff: Client, office) -> None:
    csv = (
        "code,name_kk,name_ru,name_en,unit,direction,aggregation_regions,aggregation_time,frequency,owner_agency,"
        "source,numerator,denominator,factor,decimal_places,is_active\n"
        "crime.cyber,Киберқылмыстар,Киберпреступления,Cybercrimes,count,lower,sum,sum,monthly,kpssu,statistics,,,,0,1\n"
    )
    upload = io.BytesIO(csv.encode())
    upload.name = "kpis.csv"
    preview = staff.post(
        "/admin/initiatives/indicator/import/", {"format": "0", "import_file": upload, "resource": "0"}
    )
    assert preview.status_code == 200
    assert "crime.cyber" in preview.content.decode()
    assert not Indicator.objects.filter(code="crime.cyber").exists()  # nothing until confirmed

    form = preview.context["confirm_form"]
    confirm = staff.post("/admin/initiatives/indicator/process_import/", dict(form.initial))
    assert confirm.status_code == 302
    created = Indicator.objects.get(code="crime.cyber")
    assert (created.name_kk, created.owner_agency.code) == ("Киберқылмыстар", "kpssu")
    assert created.history.get().history_user == office


BAD_TARGETS = (
    b"indicator,region,year,target_value,baseline_value,baseline_year,note\n"
    b"no.such,710000000,2026,5,,,\n"
    b"crime.registered,999,20x6,12;5,,,\n"
)


def post_targets(staff: Client, content: bytes, language: str = "en"):
    upload = io.BytesIO(content)
    upload.name = "targets.csv"
    return staff.post(
        "/admin/initiatives/target/import/",
        {"format": "0", "import_file": upload, "resource": "0"},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def problems(response) -> list[tuple[str, str, str]]:
    """(line in the file, column, words) of each problem the page lists."""
    import re

    html = response.content.decode()
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td class=\"errors\">(.*?)</td>", html, flags=re.S)
    return [
        (line, column, words.strip())
        for line, cell in rows
        for column, words in re.findall(r'<li data-column="([^"]*)">.*?</strong>:(.*?)</li>', cell, flags=re.S)
    ]


def test_targets_import_says_the_line_column_value_and_what_is_wrong_and_writes_nothing(staff: Client) -> None:
    response = post_targets(staff, BAD_TARGETS)
    assert response.status_code == 200
    assert problems(response) == [
        ("2", "indicator", "unknown indicator &#x27;no.such&#x27;"),
        ("3", "region", "unknown region &#x27;999&#x27; (a 9-digit KATO code)"),
        ("3", "year", "&#x27;20x6&#x27; is not a year from 1991 to 2100"),
        ("3", "target_value", "&#x27;12;5&#x27; is not a number"),
    ]
    body = response.content.decode()
    assert "matching query does not exist" not in body and "ConversionSyntax" not in body
    assert response.context.get("confirm_form") is None
    assert not Target.objects.exists()


def test_targets_import_problems_read_in_the_readers_language(staff: Client) -> None:
    response = post_targets(staff, BAD_TARGETS, language="kk")
    assert problems(response)[:2] == [
        ("2", "indicator", "белгісіз көрсеткіш &#x27;no.such&#x27;"),
        ("3", "region", "белгісіз өңір &#x27;999&#x27; (9 таңбалы KATO коды)"),
    ]
    body = response.content.decode()
    assert "Файлдағы жол" in body and "Кейбір жолдарда қате бар" in body


def test_targets_import_preview_shows_names_beside_codes(staff: Client) -> None:
    response = post_targets(
        staff,
        b"indicator,region,year,target_value,baseline_value,baseline_year,note\n"
        b"crime.registered,710000000,2026,5,,,\ncrime.theft,,2026,7,,,\n",
    )
    body = response.content.decode()
    assert response.context["confirm_form"] is not None
    for shown in ("<th>indicator_name</th>", "<th>region_name</th>", "Criminal offences registered", "Astana"):
        assert shown in body, shown
    assert "Kazakhstan (national)" in body
    assert not Target.objects.exists()


def test_targets_export_as_csv(staff: Client) -> None:
    Target.objects.create(
        indicator=Indicator.objects.get(code="crime.registered"), region=None, year=2026, target_value=Decimal(90000)
    )
    form = staff.get("/admin/initiatives/target/export/").context["form"]
    # Tick every column the form offers, as a person keeping the defaults does.
    columns = {name: "on" for name, field in form.fields.items() if field.initial is True}
    response = staff.post("/admin/initiatives/target/export/", {"format": "0", "resource": "0", **columns})
    assert response.status_code == 200, response.content[:500]
    body = response.content.decode()
    assert body.splitlines()[0].startswith("indicator,indicator_name,region,region_name,year,target_value")
    assert "crime.registered,Criminal offences registered,,Kazakhstan (national),2026,90000" in body


@pytest.mark.parametrize(
    "url",
    [
        "/admin/initiatives/initiative/",
        "/admin/initiatives/campaign/",
        "/admin/initiatives/indicator/",
        "/admin/initiatives/target/",
        "/admin/initiatives/value/",
        "/admin/initiatives/value/?approval_state__exact=pending&in_region=710000000&year=2025",
    ],
)
def test_a_coordinator_cannot_open_the_domain_admin(client: Client, coordinator_astana, url: str) -> None:
    client.force_login(coordinator_astana)
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def _values(count: int) -> None:
    indicator = IndicatorFactory()
    regions = [RegionFactory() for _ in range(10)]
    months = list(Period.parse("2000-01/2099-12").each_month())
    Value.objects.bulk_create(
        Value(
            indicator=indicator,
            region=regions[i % 10],
            period_start=months[i // 10].first_day,
            period_end=months[i // 10].first_day,
            value=Decimal(i),
            source="import",
        )
        for i in range(count)
    )


# The queries of each admin list, whatever its length; a change that moves one is reviewed.
ADMIN_LIST_BUDGETS = {
    "/admin/initiatives/value/": 9,  # the year filter reads the years that have values
    "/admin/initiatives/target/": 10,
    "/admin/initiatives/indicator/": 8,
    "/admin/initiatives/campaign/": 11,
    "/admin/initiatives/initiative/": 10,
}


@pytest.mark.parametrize(
    ("url", "add_rows"),
    [
        ("/admin/initiatives/value/", lambda: _values(1000)),
        ("/admin/initiatives/value/?year=2005&in_region=710000000", lambda: _values(1000)),
        (
            "/admin/initiatives/target/",
            lambda: [Target.objects.create(indicator=IndicatorFactory(), year=2026, target_value=1) for _ in range(30)],
        ),
        ("/admin/initiatives/indicator/", lambda: [IndicatorFactory() for _ in range(30)]),
    ],
)
def test_list_pages_use_the_same_queries_for_10_and_1000_rows(
    staff: Client, assert_queries_do_not_grow, url, add_rows
) -> None:
    _values(10)
    Target.objects.create(indicator=IndicatorFactory(), year=2026, target_value=1)
    budget = ADMIN_LIST_BUDGETS[url.split("?")[0]]
    assert_queries_do_not_grow(lambda: staff.get(url).status_code == 200 or pytest.fail(url), add_rows, budget=budget)


def test_campaign_and_initiative_lists_do_not_query_per_row(staff: Client, assert_queries_do_not_grow) -> None:
    from tests.factories import CampaignFactory

    CampaignFactory()

    def add_rows() -> None:
        for _ in range(30):
            CampaignFactory(region=RegionFactory())

    for url in ("/admin/initiatives/campaign/", "/admin/initiatives/initiative/"):
        assert_queries_do_not_grow(lambda url=url: staff.get(url), add_rows, budget=ADMIN_LIST_BUDGETS[url])
