"""Where the merged branches meet: an official figure read-only (history too) and never
deleted by the list's bulk action; a manual figure's edit pinned to the version seen."""

from decimal import Decimal

import pytest
from django.test import Client

from initiatives.models import Value, ValueSource
from tests.factories import ValueFactory

pytestmark = pytest.mark.django_db


def test_the_bulk_delete_action_refuses_official_figures(staff: Client) -> None:
    official = ValueFactory(kpi="crime.theft", period="2026-01", value=654, source=ValueSource.IMPORT)
    manual = ValueFactory(kpi="crime.theft", period="2026-02", value=7, source=ValueSource.MANUAL, approved=False)
    chosen = {"action": "delete_selected", "_selected_action": [official.pk, manual.pk]}

    confirm = staff.post("/admin/initiatives/value/", chosen, HTTP_ACCEPT_LANGUAGE="en")
    response = staff.post("/admin/initiatives/value/", {**chosen, "post": "yes"})

    assert "would require deleting the following protected" in confirm.content.decode() or (
        "permission to delete" in confirm.content.decode()
    )
    assert response.status_code == 403
    assert Value.objects.filter(pk__in=[official.pk, manual.pk]).count() == 2  # nothing deleted
    assert Value.objects.get(pk=official.pk).value == Decimal(654)


def test_an_official_figures_history_and_its_old_versions_open(staff: Client) -> None:
    official = ValueFactory(kpi="crime.theft", period="2026-01", value=654, source=ValueSource.IMPORT)
    official.comment = "checked"
    official.save()
    history = staff.get(f"/admin/initiatives/value/{official.pk}/history/", HTTP_ACCEPT_LANGUAGE="en")
    assert history.status_code == 200
    for record in official.history.all():
        page = staff.get(f"/admin/initiatives/value/{official.pk}/history/{record.history_id}/")
        assert page.status_code == 200, page.content[:500]
        assert 'name="seen_version"' not in page.content.decode()


def test_the_bulk_delete_of_manual_figures_refreshes_their_kpis_rollups(staff: Client, monkeypatch) -> None:
    refreshed: list[list[int]] = []
    monkeypatch.setattr("initiatives.services.values.rollups_refresh_later", refreshed.append)  # the delete service
    manual = ValueFactory(kpi="crime.theft", period="2026-02", value=7, source=ValueSource.MANUAL, approved=False)
    chosen = {"action": "delete_selected", "_selected_action": [manual.pk], "post": "yes"}

    assert staff.post("/admin/initiatives/value/", chosen).status_code == 302

    assert not Value.objects.filter(pk=manual.pk).exists()
    assert refreshed == [[manual.indicator_id]]
