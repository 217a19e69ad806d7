"""The coordinator portal's pages without a browser: access, nothing lost, query budgets."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from agencies.models import RegionalBranch
from initiatives.models import Indicator, Report
from initiatives.periods import Period
from initiatives.services.reports import report_create, report_save
from tests.factories import png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("early_november")]


def form_data(report: Report, events: str, version: int | None = None, action: str = "save") -> dict[str, str]:
    kpi = Indicator.objects.get(code="events.legal_literacy")
    return {
        "version": str(version or report.version),
        f"value_{kpi.pk}": events,
        "narrative": "typed by hand",
        "action": action,
    }


def test_anonymous_people_are_sent_to_log_in(client: Client, report: Report) -> None:
    for url in ("/", f"/reports/{report.pk}/", f"/review/{report.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_another_regions_coordinator_gets_not_found(client: Client, report: Report, coordinator_almaty) -> None:
    client.force_login(coordinator_almaty)
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    assert client.post(f"/reports/{report.pk}/", form_data(report, "5")).status_code == 404
    assert (
        client.post("/reports/start/", {"branch": report.branch.pk, "kind": "monthly", "period": "2026-09"}).status_code
        == 404
    )


def test_a_coordinator_cannot_open_the_review_page(client: Client, report: Report, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    assert client.get(f"/review/{report.pk}/").status_code == 404


def test_a_failed_form_keeps_every_value_typed(client: Client, report: Report, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    response = client.post(f"/reports/{report.pk}/", form_data(report, "-3"))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="-3"' in page and "typed by hand" in page
    assert not report.lines.exists()


def saved_events(report: Report) -> list[Decimal]:
    return list(report.lines.values_list("value", flat=True))


def test_a_cleared_value_clears_the_saved_one(client: Client, report: Report, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    assert client.post(f"/reports/{report.pk}/", form_data(report, "12")).status_code == 302
    assert saved_events(report) == [Decimal(12)]
    report.refresh_from_db()
    response = client.post(f"/reports/{report.pk}/", form_data(report, ""))
    assert response.status_code == 302
    assert saved_events(report) == []
    page = client.get(f"/reports/{report.pk}/").content.decode()
    kpi = Indicator.objects.get(code="events.legal_literacy")
    field = page[page.index(f'name="value_{kpi.pk}"') :]
    assert 'value="12"' not in field[: field.index(">")]
    # the history says what it was
    assert report.lines.model.history.filter(history_type="-", value=Decimal(12)).exists()


@pytest.mark.parametrize("typed", ["5e", "1,5,2", "twelve", "12.5.1"])
def test_a_value_that_is_not_a_number_is_an_error_on_its_field_with_the_text_kept(
    client: Client, report: Report, coordinator_astana, typed: str
) -> None:
    client.force_login(coordinator_astana)
    client.post(f"/reports/{report.pk}/", form_data(report, "12"))
    report.refresh_from_db()
    response = client.post(f"/reports/{report.pk}/", form_data(report, typed), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 400
    assert f"{typed} is not a number" in page
    assert f'value="{typed}"' in page and "typed by hand" in page
    assert saved_events(report) == [Decimal(12)]


def test_the_value_field_sends_what_was_typed(client: Client, report: Report, coordinator_astana) -> None:
    """A number input sends "" for what the browser cannot read ("5e"): the server would
    take it for a cleared field. A text input sends the text, for the server to judge."""
    client.force_login(coordinator_astana)
    page = client.get(f"/reports/{report.pk}/").content.decode()
    kpi = Indicator.objects.get(code="events.legal_literacy")
    start = page.index(f'name="value_{kpi.pk}"')
    tag = page[page.rindex("<input", 0, start) : page.index(">", start)]
    assert 'type="text"' in tag and 'inputmode="decimal"' in tag


@pytest.mark.parametrize(
    ("language", "typed", "saved"), [("ru", "12,0", "12"), ("kk", "1 234,0", "1234"), ("en", "12.0", "12")]
)
def test_a_value_is_read_as_people_write_it_in_their_language(
    client: Client, report: Report, coordinator_astana, language: str, typed: str, saved: str
) -> None:
    client.force_login(coordinator_astana)
    response = client.post(f"/reports/{report.pk}/", form_data(report, typed), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 302
    assert saved_events(report) == [Decimal(saved)]


def test_a_count_takes_whole_numbers_only(client: Client, report: Report, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    response = client.post(f"/reports/{report.pk}/", form_data(report, "12,5"), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert 'value="12,5"' in response.content.decode()
    assert not report.lines.exists()
    with translation.override("en"):
        page = client.post(f"/reports/{report.pk}/", form_data(report, "12.5"), HTTP_ACCEPT_LANGUAGE="en")
    assert "is counted in whole numbers: 12.5 is not one." in page.content.decode()


def test_a_comma_is_not_guessed_at_in_english(client: Client, report: Report, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    response = client.post(f"/reports/{report.pk}/", form_data(report, "1,234"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert not report.lines.exists()


def test_a_comment_without_its_value_is_not_dropped_silently(
    client: Client, report: Report, coordinator_astana
) -> None:
    client.force_login(coordinator_astana)
    kpi = Indicator.objects.get(code="events.legal_literacy")
    response = client.post(
        f"/reports/{report.pk}/", {**form_data(report, ""), f"comment_{kpi.pk}": "two schools closed"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "A comment goes with a value" in page and "two schools closed" in page


def test_a_save_from_a_stale_tab_is_refused_and_the_input_kept(
    client: Client, report: Report, coordinator_astana
) -> None:
    client.force_login(coordinator_astana)
    opened = report.version
    report_save(
        report=report, version=opened, values={Indicator.objects.get(code="events.legal_literacy"): (Decimal(7), "")},
        narrative="other tab", user=coordinator_astana,
    )  # fmt: skip
    response = client.post(f"/reports/{report.pk}/", form_data(report, "9", version=opened))
    page = response.content.decode()
    assert "Someone saved this report after you opened it" in page
    assert 'value="9"' in page and "typed by hand" in page
    report.refresh_from_db()
    assert report.narrative == "other tab"


def test_a_double_submit_is_one_submission(client: Client, report: Report, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    first = client.post(f"/reports/{report.pk}/", form_data(report, "5", action="submit"))
    assert first.status_code == 302
    second = client.post(f"/reports/{report.pk}/", form_data(report, "5", version=1, action="submit"))
    assert second.status_code in (200, 400)
    assert Report.objects.get().history.filter(state="submitted").count() == 1


# The queries each page makes, whatever the number of rows it shows; a change that moves
# one of these is reviewed, not just accepted.
# The home's KPI cards come from the summaries' cache (their span and figures are kept
# under the version counters, computed again only when a figure changes).
# (issue 27: the person's branches are read once for the reports due and the cards, and the
# cards are rendered once per figures version: the home reads the counters, not the card KPIs.)
PORTAL_BUDGETS = {
    "home": 10,
    "report": 16,
}  # home: one read of the counters for every card, one of reopen requests; report: +2 for the register's counts
REVIEW_BUDGET = 12


@pytest.mark.parametrize("page", ["home", "report"])
def test_portal_pages_keep_a_fixed_query_budget(
    client: Client,
    report: Report,
    coordinator_astana,
    assert_queries_do_not_grow,
    media,
    page: str,
) -> None:
    from initiatives.models import IndicatorSource
    from initiatives.services.reports import report_add_evidence, report_add_settlement
    from tests.factories import IndicatorFactory, RegionFactory

    client.force_login(coordinator_astana)
    url = "/" if page == "home" else f"/reports/{report.pk}/"
    villages = iter(range(100, 200))

    def add_what_the_page_shows() -> None:
        if page == "home":  # the person's reports, listed
            for month in range(1, 10):
                report_create(
                    branch=report.branch, kind="monthly", period=Period.parse(f"2026-0{month}"), user=coordinator_astana
                )
            return
        # The report's own rows: a line per KPI reported, its files and its villages.
        kpis = [*Indicator.objects.filter(source=IndicatorSource.COORDINATOR_REPORTS)]
        kpis += [IndicatorFactory(source=IndicatorSource.COORDINATOR_REPORTS) for _n in range(3)]
        fresh = Report.objects.get(pk=report.pk)
        report_save(
            report=fresh,
            version=fresh.version,
            values={kpi: (Decimal(n), "") for n, kpi in enumerate(kpis)},
            narrative="",
            user=coordinator_astana,
        )
        for n in range(3):
            report_add_evidence(report=fresh, upload=upload(f"{n}.png", PNG), user=coordinator_astana)
            report_add_settlement(
                report=fresh,
                settlement=RegionFactory(kato=f"711110{next(villages)}"),
                decided_on=datetime.date(2026, 10, 1),
                note="",
                user=coordinator_astana,
            )

    add_what_the_page_shows()  # one of each first: an empty page skips the queries that fetch rows
    assert_queries_do_not_grow(lambda: client.get(url), add_what_the_page_shows, budget=PORTAL_BUDGETS[page])


def test_the_office_sees_the_review_queue(client: Client, report: Report, coordinator_astana, office) -> None:
    client.force_login(coordinator_astana)
    client.post(f"/reports/{report.pk}/", form_data(report, "5", action="submit"))
    client.force_login(office)
    page = client.get("/").content.decode()
    assert f"/review/{report.pk}/" in page


PNG = png_bytes()  # a real picture: evidence is checked by its whole content


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_evidence_is_stored_and_served_only_to_those_who_may_see_the_report(
    client: Client,
    report: Report,
    coordinator_astana,
    coordinator_almaty,
    media,
) -> None:
    client.force_login(coordinator_astana)
    response = client.post(
        f"/reports/{report.pk}/", {**form_data(report, "5"), "evidence": upload("decision.png", PNG)}
    )
    assert response.status_code == 302
    evidence = report.evidence.get()
    assert evidence.name == "decision.png" and str(media) in evidence.file.path
    download = client.get(f"/reports/{report.pk}/evidence/{evidence.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    client.force_login(coordinator_almaty)
    assert client.get(f"/reports/{report.pk}/evidence/{evidence.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/reports/{report.pk}/evidence/{evidence.pk}/").status_code == 302


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.exe", b"MZ....", "attach a PDF, JPEG, PNG or XLSX file"),
        ("photo.png", b"%PDF-1.7 not a picture", "is not the kind of file its name says"),
        ("decision.pdf", b"%PDF-1.7\n" + b"garbage " * 64, "is not the kind of file its name says"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "is not the kind of file its name says"),
    ],
)
def test_a_wrong_file_is_refused_and_the_values_are_kept(
    client: Client, report: Report, coordinator_astana, media, name, content, message
) -> None:
    client.force_login(coordinator_astana)
    response = client.post(f"/reports/{report.pk}/", {**form_data(report, "5"), "evidence": upload(name, content)})
    page = response.content.decode()
    assert message in page
    assert 'value="5"' in page
    assert not report.evidence.exists()


def test_a_real_pdf_is_accepted_as_evidence(client: Client, report: Report, coordinator_astana, media) -> None:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    pdf = io.BytesIO()
    writer.write(pdf)
    client.force_login(coordinator_astana)

    response = client.post(
        f"/reports/{report.pk}/", {**form_data(report, "5"), "evidence": upload("decision.pdf", pdf.getvalue())}
    )

    assert response.status_code == 302
    assert report.evidence.get().name == "decision.pdf"


def test_a_file_over_the_cap_is_refused(report: Report, coordinator_astana, media, settings) -> None:
    from django.core.exceptions import ValidationError

    from initiatives.services import reports as service

    big = upload("scan.pdf", b"%PDF" + b"0" * (settings.MAX_EVIDENCE_FILE_BYTES + 1))
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        service.report_add_evidence(report=report, upload=big, user=coordinator_astana)


def test_a_village_reported_joining_becomes_a_declared_campaign_on_approval(
    report: Report, coordinator_astana, office
) -> None:
    from initiatives.models import Campaign
    from initiatives.services.reports import report_add_settlement, report_approve, report_submit
    from tests.factories import InitiativeFactory, RegionFactory

    InitiativeFactory(code="alcohol-free-villages")
    village = RegionFactory(kato="711110100", name_ru="село Тестовое")
    report_add_settlement(
        report=report,
        settlement=village,
        decided_on=datetime.date(2026, 10, 20),
        note="protocol 7",
        user=coordinator_astana,
    )
    report = report_save(
        report=report,
        version=report.version,
        values={Indicator.objects.get(code="events.legal_literacy"): (Decimal(3), "")},
        narrative="",
        user=coordinator_astana,
    )
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    assert not Campaign.objects.exists()  # not before the office approves

    report_approve(report=report, user=office)

    campaign = Campaign.objects.get()
    assert (campaign.region, campaign.settlement_stage, str(campaign.declared_on)) == (
        village,
        "declared",
        "2026-10-20",
    )
    assert campaign.history.get().history_user == office


def test_a_village_outside_the_region_is_refused(report: Report, coordinator_astana) -> None:
    from django.core.exceptions import ValidationError

    from initiatives.services.reports import report_add_settlement
    from regions.models import Region
    from tests.factories import RegionFactory

    almaty_village = RegionFactory(kato="751110100", parent=Region.objects.get(kato="750000000"))
    with pytest.raises(ValidationError, match="is not a settlement of"):
        report_add_settlement(
            report=report,
            settlement=almaty_village,
            decided_on=datetime.date(2026, 10, 1),
            note="",
            user=coordinator_astana,
        )


def test_staff_set_when_reports_fall_due(coordinator_astana) -> None:
    from initiatives.models import ReportingCycle

    ReportingCycle.objects.filter(kind="half_yearly").update(due_day=20, months_after=2)
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    half = report_create(branch=branch, kind="half_yearly", period=Period.parse("2026-H1"), user=coordinator_astana)
    assert str(half.due_date) == "2026-08-20"


def test_the_review_page_keeps_a_fixed_query_budget(
    client: Client,
    report: Report,
    coordinator_astana,
    office,
    assert_queries_do_not_grow,
    media,
) -> None:
    from initiatives.services.reports import report_add_evidence

    report_add_evidence(report=report, upload=upload("a.png", PNG), user=coordinator_astana)
    report_save(
        report=report,
        version=report.version,
        values={Indicator.objects.get(code="events.legal_literacy"): (Decimal(3), "")},
        narrative="",
        user=coordinator_astana,
    )
    client.force_login(office)

    def add_rows() -> None:
        for n in range(5):
            report_add_evidence(report=report, upload=upload(f"{n}.png", PNG), user=coordinator_astana)

    assert_queries_do_not_grow(lambda: client.get(f"/review/{report.pk}/"), add_rows, budget=REVIEW_BUDGET)


def test_a_returned_report_shows_the_coordinator_what_to_fix(
    client: Client, report: Report, coordinator_astana, office
) -> None:
    from initiatives.services.reports import report_return, report_submit

    kpi = Indicator.objects.get(code="events.legal_literacy")
    saved = report_save(
        report=report, version=report.version, values={kpi: (Decimal(400), "")}, narrative="", user=coordinator_astana
    )
    submitted = report_submit(report=saved, version=saved.version, user=coordinator_astana)
    line = submitted.lines.get()
    report_return(report=submitted, reason="", line_reasons={line.pk: "400 in a month?"}, user=office)
    client.force_login(coordinator_astana)
    page = client.get(f"/reports/{report.pk}/").content.decode()
    assert "Returned for revision" in page and "To fix: 400 in a month?" in page
    assert "/review/" not in page  # the review button is the office's, for submitted reports


def test_the_evidence_input_carries_its_limit_and_the_words_for_the_browsers_check(
    client: Client, report: Report, coordinator_astana
) -> None:
    client.force_login(coordinator_astana)
    page = client.get(f"/reports/{report.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    start = page.index('id="id_evidence"')
    tag = page[page.rindex("<input", 0, start) : page.index(">", start)]
    assert 'data-max-bytes="10000000"' in tag
    assert 'data-too-large="Файл {name} больше 10 МБ и не прикреплён: выберите файл меньшего размера."' in tag
