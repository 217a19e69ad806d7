"""Project-office staff build a programme in the admin, in a real browser: an initiative
with a campaign and its KPIs, a target set and then changed, and that change's history."""

import pytest

from initiatives.models import Campaign, Initiative, Target
from tests.browser.conftest import log_in
from tests.factories import RegionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def pick(page, field: str, search: str, option: str) -> None:
    """Choose in one of the admin's autocomplete (select2) boxes, as a person does."""
    page.locator(f"#{field} + .select2 .select2-selection, [data-select2-id] #select2-{field}-container").first.click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=option).first.click()


def test_staff_build_an_initiative_set_a_target_and_read_its_history(page, screenshot, office) -> None:
    village = RegionFactory(kato="434030100", name_en="Akkum", name_ru="село Аккум", name_kk="Аққұм ауылы")
    log_in(page, "/admin/login/", "office")
    assert page.locator("#site-name").inner_text() == "Law and Order project office"
    screenshot("admin-01-index")

    # An initiative with one alcohol-free village as its campaign, measured by two KPIs.
    page.goto("/admin/initiatives/initiative/add/")
    page.fill("#id_code", "alcohol-free-kyzylorda")
    page.select_option("#id_direction", "safe_environment")
    page.select_option("#id_status", "active")
    page.fill("#id_start_date", "2025-04-01")
    page.fill("#id_name_kk", "Қызылорда ішімдіксіз ауылдары")
    page.fill("#id_name_ru", "Сёла без алкоголя Кызылординской области")
    page.fill("#id_name_en", "Alcohol-free villages of Kyzylorda region")
    pick(page, "id_lead_agency", "akim", "akimats")
    pick(page, "id_indicators", "crime.registered", "Criminal offences registered")
    page.click("text=Add another Campaign")
    page.select_option("#id_campaigns-0-kind", "alcohol_free")
    page.select_option("#id_campaigns-0-status", "active")
    page.fill("#id_campaigns-0-name_kk", "Аққұм")
    page.fill("#id_campaigns-0-name_ru", "Аккум")
    page.fill("#id_campaigns-0-start_date", "2025-05-12")
    pick(page, "id_campaigns-0-region", "Akkum", "Akkum")
    page.select_option("#id_campaigns-0-settlement_stage", "declared")
    page.fill("#id_campaigns-0-declared_on", "2025-05-12")
    screenshot("admin-02-initiative-form")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").wait_for()
    screenshot("admin-03-initiative-saved")

    initiative = Initiative.objects.get(code="alcohol-free-kyzylorda")
    assert list(initiative.indicators.values_list("code", flat=True)) == ["crime.registered"]
    assert Campaign.objects.get(initiative=initiative).region == village

    # A regional target on the KPI's own page, then lowered after a review.
    page.goto("/admin/initiatives/indicator/?q=crime.registered")
    page.click("a:text-is('crime.registered')")
    page.click("text=Add another Target")
    page.fill("#id_targets-0-year", "2026")
    pick(page, "id_targets-0-region", "Astana", "Astana")
    page.fill("#id_targets-0-target_value", "1000")
    page.fill("#id_targets-0-baseline_value", "1100")
    page.fill("#id_targets-0-baseline_year", "2025")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").wait_for()
    target = Target.objects.get(indicator__code="crime.registered", region__kato="710000000", year=2026)

    page.goto(f"/admin/initiatives/target/{target.pk}/change/")
    page.fill("#id_target_value", "950")
    page.fill("#id_note", "Lowered after the Q3 review")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").wait_for()

    page.goto(f"/admin/initiatives/target/{target.pk}/history/")
    history = page.locator("#change-history").inner_text().replace("\xa0", " ")
    screenshot("admin-04-target-history")
    assert "office" in history
    assert "Target value: 1 000 → 950" in history  # in words, in the KPI's places


def test_a_coordinator_is_turned_away_from_the_admin(page, coordinator_astana) -> None:
    log_in(page, "/admin/login/", "coordinator.astana")
    assert page.locator(".errornote").is_visible()
    page.goto("/admin/initiatives/target/")
    assert "/admin/login/" in page.url
