"""The 403, 404 and 500 pages are ours: in the reader's language, with the way back.
With DEBUG off (pytest-django's default), as in production."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

KAZAKH = {
    404: "Бет табылмады",
    403: "Рұқсат жоқ",
    500: "Бірдеңе дұрыс болмады",
}


@pytest.fixture(autouse=True)
def failing_views(settings):
    settings.ROOT_URLCONF = "tests.projectoffice.failing_urls"
    assert settings.DEBUG is False


def links(page: str) -> str:
    return page.split('id="error-page"')[1].split("</nav>")[0]


def test_a_page_that_is_not_there_is_ours_in_kazakh_with_the_way_back(client: Client) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="kk")
    page = response.content.decode()
    assert response.status_code == 404
    assert KAZAKH[404] in page and "Not Found" not in page
    assert '<html lang="kk">' in page
    nav = links(page)
    assert 'href="/"' in nav and 'href="/public/"' in nav and 'href="/login/"' in nav


def test_a_logged_in_person_is_offered_the_dashboard_and_the_language_switch(client: Client, office) -> None:
    client.force_login(office)
    page = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Страница не найдена" in page
    assert 'href="/dashboard/"' in links(page)
    assert 'action="/i18n/setlang/"' in page  # the site's header, with its language switch


def test_another_regions_dashboard_is_our_not_found_page(client: Client, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    response = client.get("/dashboard/?region=750000000", HTTP_ACCEPT_LANGUAGE="kk")
    assert response.status_code == 404 and KAZAKH[404] in response.content.decode()


def test_a_forbidden_page_is_ours_in_kazakh(client: Client) -> None:
    response = client.get("/test/forbidden/", HTTP_ACCEPT_LANGUAGE="kk")
    page = response.content.decode()
    assert response.status_code == 403
    assert KAZAKH[403] in page and "403 Forbidden" not in page
    assert 'href="/"' in links(page)


def test_an_error_page_is_ours_in_kazakh_and_touches_no_database(django_assert_num_queries) -> None:
    client = Client(raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.get("/test/broken/", HTTP_ACCEPT_LANGUAGE="kk")
    page = response.content.decode()
    assert response.status_code == 500
    assert KAZAKH[500] in page and "Server Error" not in page
    assert '<html lang="kk">' in page
    nav = links(page)
    assert 'href="/"' in nav and 'href="/public/"' in nav


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_error_page_speaks_the_readers_language(lang: str) -> None:
    page = Client(raise_request_exception=False).get("/test/broken/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert {"ru": "Что-то пошло не так", "en": "Something went wrong"}[lang] in page
