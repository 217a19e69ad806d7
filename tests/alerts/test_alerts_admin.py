"""Early warning in the admin: runs read-only with their counts, alerts filtered, the review
note the office's alone and saved through the review service, the history kept."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from initiatives.alerts.models import Alert
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]

# Both lists together, each with its session, user, permissions and page; the alerts' with
# the choices of its filters (months, KPIs, first-level regions).
ADMIN_BUDGET = 17


def test_detection_runs_are_listed_with_their_counts_and_cannot_be_changed(client: Client, office, november) -> None:
    from initiatives.alerts.models import DetectionRun

    client.force_login(office)
    page = client.get("/admin/initiatives/detectionrun/").content.decode()
    assert "2026-11" in page and "380" in page and "400" in page
    run = DetectionRun.objects.first()
    assert client.get("/admin/initiatives/detectionrun/add/").status_code == 403
    change = client.get(f"/admin/initiatives/detectionrun/{run.pk}/change/").content.decode()
    assert 'name="tested"' not in change and "380" in change
    assert client.post(f"/admin/initiatives/detectionrun/{run.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize(
    "query",
    ["month=2026-10", "indicator__id__exact=1", "kind__exact=persistent", "withdrawn__exact=1", "reviewed=no", "q=710"],
)
def test_the_alerts_list_filters(client: Client, office, november, query: str) -> None:
    client.force_login(office)
    response = client.get(f"/admin/initiatives/alert/?{query}")
    assert response.status_code == 200


def test_the_month_filter_lists_the_months_and_keeps_to_one(client: Client, office, november) -> None:
    client.force_login(office)
    response = client.get("/admin/initiatives/alert/?month=2026-10")
    assert list(response.context["cl"].result_list) == [november["october"]]
    assert "?month=2026-11" in response.content.decode()


def test_the_office_writes_the_review_note_through_the_review_and_the_history_keeps_it(
    client: Client, office, november
) -> None:
    alert = november["astana"]
    client.force_login(office)
    page = client.get(f"/admin/initiatives/alert/{alert.pk}/change/").content.decode()
    assert 'name="review_note"' in page and 'name="observed"' not in page
    response = client.post(
        f"/admin/initiatives/alert/{alert.pk}/change/", {"review_note": " Seen: a new way of counting "}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.review_note == "Seen: a new way of counting" and alert.reviewed_by == office and alert.reviewed_at
    assert alert.history.first().history_change_reason == "review"
    history = client.get(f"/admin/initiatives/alert/{alert.pk}/history/")
    assert history.status_code == 200 and "Seen: a new way of counting" in history.content.decode()


def test_staff_outside_the_office_read_alerts_but_write_no_review(client: Client, november) -> None:
    reader = UserFactory(username="staff.reader", is_staff=True)
    reader.user_permissions.add(*Permission.objects.filter(codename__in=["view_alert", "change_alert"]))
    client.force_login(reader)
    alert = november["astana"]
    page = client.get(f"/admin/initiatives/alert/{alert.pk}/change/").content.decode()
    assert 'name="review_note"' not in page
    client.post(f"/admin/initiatives/alert/{alert.pk}/change/", {"review_note": "mine"})
    assert Alert.objects.get(pk=alert.pk).reviewed_at is None


def test_a_coordinator_does_not_reach_the_alerts_admin(client: Client, coordinator_astana, november) -> None:
    client.force_login(coordinator_astana)
    assert client.get("/admin/initiatives/alert/").status_code == 302


def test_the_admin_lists_keep_a_fixed_query_budget(
    client: Client, office, november, assert_queries_do_not_grow
) -> None:
    from tests.factories import AlertFactory, DetectionRunFactory

    client.force_login(office)

    def add_rows() -> None:
        for month in ("2026-07", "2026-08", "2026-09"):
            DetectionRunFactory(month=month)
            AlertFactory(month=month, kpi="crime.robbery", kato="750000000")

    def both() -> None:
        client.get("/admin/initiatives/alert/")
        client.get("/admin/initiatives/detectionrun/")

    assert_queries_do_not_grow(both, add_rows, budget=ADMIN_BUDGET)
