"""The coordinator's whole save is one transaction: a refused village or a refused
submission leaves the report as it was, and removes the file written for it."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from initiatives.models import Indicator, ReportEvidence, ReportState
from initiatives.services.reports import SettlementJoined, report_save_all
from tests.factories import RegionFactory, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("early_november")]

PNG = png_bytes()


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_a_whole_save_stores_values_file_village_and_submits(report, coordinator_astana, media) -> None:
    kpi = Indicator.objects.get(code="events.legal_literacy")
    village = RegionFactory(kato="711110100")
    saved = report_save_all(
        report=report,
        version=report.version,
        values={kpi: (Decimal(5), "")},
        narrative="done",
        evidence=SimpleUploadedFile("decision.png", PNG),
        settlement=SettlementJoined(settlement=village, decided_on=datetime.date(2026, 10, 20)),
        submit=True,
        user=coordinator_astana,
    )
    assert saved.state == ReportState.SUBMITTED
    assert [line.value for line in saved.lines.all()] == [Decimal(5)]
    assert saved.evidence.count() == 1 and saved.settlements.count() == 1
    assert len(files_in(media)) == 1  # stored under a name of its own


def test_a_village_of_another_region_leaves_nothing_saved_not_even_the_file(report, coordinator_astana, media) -> None:
    kpi = Indicator.objects.get(code="events.legal_literacy")
    almaty_village = RegionFactory(
        kato="751110100", parent=report.branch.region.__class__.objects.get(kato="750000000")
    )
    before = report.version
    with pytest.raises(ValidationError, match="is not a settlement of"):
        report_save_all(
            report=report,
            version=report.version,
            values={kpi: (Decimal(5), "")},
            narrative="typed",
            evidence=SimpleUploadedFile("decision.png", PNG),
            settlement=SettlementJoined(settlement=almaty_village, decided_on=datetime.date(2026, 10, 20)),
            user=coordinator_astana,
        )
    report.refresh_from_db()
    assert (report.version, report.narrative, report.lines.count()) == (before, "", 0)
    assert not ReportEvidence.objects.exists()
    assert files_in(media) == []


def test_a_refused_submission_on_the_page_leaves_nothing_saved_not_even_the_file(
    client: Client, report, coordinator_astana, media
) -> None:
    # Given: a submission with a file but no value, which report_submit refuses last.
    client.force_login(coordinator_astana)
    response = client.post(
        f"/reports/{report.pk}/",
        {
            "version": str(report.version),
            "narrative": "typed by hand",
            "action": "submit",
            "evidence": SimpleUploadedFile("decision.png", PNG),
        },
    )
    assert response.status_code == 400
    assert "Enter at least one value before submitting." in response.content.decode()
    assert "typed by hand" in response.content.decode()  # what was typed is kept on the page
    report.refresh_from_db()
    assert (report.state, report.narrative) == (ReportState.DRAFT, "")
    assert not ReportEvidence.objects.exists()
    assert files_in(media) == []
