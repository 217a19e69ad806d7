"""Who may use the admin for reference data: staff may, a coordinator may not."""

import pytest
from django.test import Client

from agencies.models import Agency
from regions.models import Region
from tests.factories import MembershipFactory, RegionalBranchFactory, RegionFactory


@pytest.mark.django_db
def test_staff_can_add_a_district_in_the_admin(client: Client, office) -> None:
    client.force_login(office)
    astana = Region.objects.get(kato="710000000")
    response = client.post(
        "/admin/regions/region/add/",
        {
            "kato": "711100000",
            "parent": astana.pk,
            "kind": "city_district",
            "name_kk": "Алматы ауданы",
            "name_ru": "район Алматы",
            "name_en": "Almaty district",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    district = Region.objects.get(kato="711100000")
    assert district.level == 2
    assert district.history.get().history_user == office


@pytest.mark.django_db
def test_staff_get_a_clear_error_for_a_parent_that_is_not_above(client: Client, office) -> None:
    client.force_login(office)
    almaty = Region.objects.get(kato="750000000")
    response = client.post(
        "/admin/regions/region/add/",
        {"kato": "711100000", "parent": almaty.pk, "kind": "city_district", "name_kk": "А", "name_ru": "Б"},
    )
    assert response.status_code == 200
    assert "750000000 is not above 711100000" in response.content.decode()
    assert not Region.objects.filter(kato="711100000").exists()


@pytest.mark.django_db
def test_a_coordinator_cannot_open_the_admin(client: Client, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    for url in ("/admin/", "/admin/regions/region/", "/admin/agencies/agency/add/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


@pytest.mark.django_db
def test_a_coordinator_made_staff_by_mistake_still_cannot_change_agencies(client: Client, coordinator_astana) -> None:
    coordinator_astana.is_staff = True
    coordinator_astana.save()
    client.force_login(coordinator_astana)
    gpo = Agency.objects.get(code="gpo")
    response = client.post(f"/admin/agencies/agency/{gpo.pk}/change/", {"code": "gpo", "name_ru": "x"})
    assert response.status_code == 403


# The queries of each list, whatever its length; a change that moves one is reviewed.
BUDGETS = {
    "/admin/regions/region/": 8,
    "/admin/agencies/agency/": 7,
    "/admin/agencies/regionalbranch/": 9,
    "/admin/agencies/membership/": 8,
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/regions/region/",
        "/admin/agencies/agency/",
        "/admin/agencies/regionalbranch/",
        "/admin/agencies/membership/",
    ],
)
def test_admin_lists_do_not_query_per_row(client: Client, office, assert_queries_do_not_grow, url: str) -> None:
    client.force_login(office)

    def add_rows() -> None:
        for _ in range(40):
            MembershipFactory(branch=RegionalBranchFactory(region=RegionFactory()))

    def open_list() -> None:
        assert client.get(url).status_code == 200

    assert_queries_do_not_grow(open_list, add_rows, budget=BUDGETS[url])
