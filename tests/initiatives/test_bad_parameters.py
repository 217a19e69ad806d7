"""A page asked for with a parameter it cannot use says what was wrong, in the reader's
language, and shows its default; never a bare "not found". A file asked for that way is
not found (a file of other figures than asked for would mislead), and a coordinator
asking for another region's dashboard still gets "not found"."""

import pytest
from django.test import Client

from initiatives.models import Release
from regions.models import Region
from tests.factories import ValueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]


@pytest.fixture
def through_october() -> None:
    for kato in Region.objects.top_level().values_list("kato", flat=True):
        ValueFactory(kpi="crime.registered", kato=kato, period="2026-01/2026-10", value=1000)
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-01/2025-10", value=1100)


def notices(page: str) -> str:
    return page.split('class="messages"')[1].split("</ul>")[0] if 'class="messages"' in page else ""


def test_a_region_code_that_names_no_region_is_said_and_the_nation_shown(
    client: Client, office, through_october
) -> None:
    client.force_login(office)
    for code in ("999999999", "astana"):
        response = client.get(f"/dashboard/?region={code}&kpi=crime.registered", follow=True)
        page = response.content.decode()
        assert response.status_code == 200
        assert f"No region has the code “{code}”; showing the default." in notices(page)
        assert "<h1>The national picture</h1>" in page
        assert response.redirect_chain[-1][0] == "/dashboard/?kpi=crime.registered"  # the picture shown


def test_the_bad_region_is_said_in_kazakh(client: Client, office, through_october) -> None:
    client.force_login(office)
    page = client.get("/dashboard/?region=999999999", follow=True, HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "«999999999» коды бар өңір жоқ; әдепкі көрсетілді." in notices(page)


def test_a_kpi_the_dashboard_does_not_have_is_said_not_silently_replaced(
    client: Client, office, through_october
) -> None:
    client.force_login(office)
    response = client.get("/dashboard/?kpi=crime.nothing&period=2026-Q3", follow=True)
    page = response.content.decode()
    assert "No KPI on the dashboard has the code “crime.nothing”; showing the default." in notices(page)
    assert response.redirect_chain[-1][0] == "/dashboard/?period=2026-Q3"
    assert '<option value="crime.registered" selected>' in page


def test_a_file_asked_for_with_a_bad_parameter_is_not_found(client: Client, office, through_october) -> None:
    client.force_login(office)
    assert client.get("/dashboard/?kpi=crime.nothing&format=csv").status_code == 404
    assert client.get("/dashboard/?region=999999999&format=csv").status_code == 404
    assert client.get("/dashboard/reporting/?year=1900&format=csv").status_code == 404


def test_a_coordinator_gets_not_found_for_another_region_and_is_told_of_a_code_that_is_none(
    client: Client, coordinator_astana, through_october
) -> None:
    client.force_login(coordinator_astana)
    assert client.get("/dashboard/?region=750000000").status_code == 404
    assert client.get("/dashboard/?region=999999999").status_code == 404  # whether it exists is not told
    response = client.get("/dashboard/?region=astana", follow=True)
    page = response.content.decode()
    assert "No region has the code “astana”" in notices(page) and "<h1>Astana</h1>" in page


@pytest.mark.parametrize("year", ["1900", "2031", "twenty"])
def test_a_year_the_grid_does_not_cover_is_said_and_this_year_shown(client: Client, office, year: str) -> None:
    client.force_login(office)
    response = client.get(f"/dashboard/reporting/?year={year}", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert f"“{year}” is not a year of the grid (2000 to 2027); showing this year." in notices(page)
    assert "Reporting on time, 2026" in page


def test_the_bad_year_is_said_in_russian(client: Client, office) -> None:
    client.force_login(office)
    page = client.get("/dashboard/reporting/?year=1900", follow=True, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "«1900» — не год таблицы (с 2000 по 2027); показан текущий год." in notices(page)


def test_the_public_page_says_which_kpi_it_does_not_have_and_shows_the_default(release: Release) -> None:
    response = Client().get("/public/", {"kpi": "crime.nothing", "lang": "kk"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Шығарылымда «crime.nothing» коды бар көрсеткіш жоқ; әдепкі көрсетілді." in page
    assert 'data-kato="710000000"' in page
    assert "kpi=crime.nothing" not in page  # the language and file links are of what is shown


def test_the_public_page_says_which_period_has_no_release_and_shows_the_latest(release: Release) -> None:
    response = Client().get("/public/", {"period": "2019-Q1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "No published release covers the period “2019-Q1”; showing the latest." in page
    assert "Q1" in page and 'data-kato="710000000"' in page
    assert 'href="/public/?format=csv"' in page  # the file of what is shown, not of what was asked
    assert Client().get("/public/", {"period": "2019-Q1", "format": "csv"}).status_code == 404
    assert Client().get("/public/", {"period": "bad", "format": "csv"}).status_code == 404
