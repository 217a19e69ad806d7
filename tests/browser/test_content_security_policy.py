"""The Content-Security-Policy breaks nothing: the portal, the admin's forms with their
scripts (autocomplete, inlines) and the API's documentation run without one violation."""

import pytest

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_portal_runs_under_the_policy(page, screenshot, violations, coordinator_astana) -> None:
    log_in(page, "/login/", "coordinator.astana")
    page.goto("/")
    assert page.locator("header.site").is_visible()
    # The language menu sends itself when a language is chosen (static/language.js).
    with page.expect_navigation():
        page.select_option("#language", "ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    screenshot("csp-01-portal")
    assert violations == []


def test_the_admin_and_its_form_scripts_run_under_the_policy(page, screenshot, violations, office) -> None:
    log_in(page, "/admin/login/", "office")
    page.goto("/admin/initiatives/initiative/add/")
    # The form's scripts work: an inline row is added, an autocomplete box opens and searches.
    page.click("text=Add another Campaign")
    assert page.locator("#id_campaigns-0-kind").is_visible()
    page.locator("#id_lead_agency + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("akim")
    page.locator(".select2-results__option", has_text="akimats").first.wait_for()
    screenshot("csp-02-admin-form")
    with page.expect_navigation():
        page.select_option("#admin-language", "kk")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert violations == []


def test_the_spreadsheet_exports_select_all_box_works_under_the_policy(page, violations, office) -> None:
    log_in(page, "/admin/login/", "office")
    page.goto("/admin/initiatives/indicator/export/")
    fields = page.locator(".selectable-field-export-row input[type=checkbox]:visible")
    assert fields.count() > 1 and all(box.is_checked() for box in fields.all())
    page.locator("input.select-toggle").uncheck()  # its inline onchange is refused; static/admin-handlers.js acts
    assert not any(box.is_checked() for box in fields.all())
    assert violations == []


def test_the_api_documentation_runs_under_the_policy(page, screenshot, violations, office) -> None:
    log_in(page, "/admin/login/", "office")
    page.goto("/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()
    screenshot("csp-03-api-docs")
    assert violations == []


def test_the_browsable_apis_log_out_button_works_under_the_policy(page, screenshot, violations, office) -> None:
    log_in(page, "/admin/login/", "office")
    page.goto("/api/v1/")
    screenshot("csp-api-browsable-logged-in")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Log out").count() == 0
    assert page.locator("a", has_text="Log in").count() == 1  # DRF's own log-in link, now anonymous
    assert violations == []
