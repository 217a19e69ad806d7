"""The admin in Kazakh: Django's strings missing from its own Kazakh catalogue come from
ours, not from Russian (the fallback language)."""

import pytest

pytestmark = pytest.mark.django_db

RUSSIAN = (
    "Имя модели",
    "Добавить",
    "Просмотреть или редактировать",
    "Просмотреть",
    "Последние действия",
    "Мои действия",
    "Переключить тему",
)


def test_the_admins_index_in_kazakh_holds_no_russian(client, office, settings) -> None:
    settings.LANGUAGE_CODE = "ru"  # as the site runs (the tests' own default is English)
    client.force_login(office)
    client.cookies["django_language"] = "kk"
    page = client.get("/admin/").content.decode()
    assert 'lang="kk"' in page
    assert [word for word in RUSSIAN if word in page] == []
    assert "Соңғы әрекеттер" in page and "Менің әрекеттерім" in page and "Модель атауы" in page
    assert "Тақырыпты ауыстыру" in page


def test_a_refused_admin_form_and_a_list_in_kazakh_hold_no_russian(client, office, settings) -> None:
    # Django's own strings its Kazakh catalogue lacks come from locale_django/kk (the
    # new-user trial read "Пожалуйста, исправьте ошибки ниже." on a Kazakh page).
    settings.LANGUAGE_CODE = "ru"
    client.force_login(office)
    client.cookies["django_language"] = "kk"
    page = client.post("/admin/initiatives/value/add/", {"value": "-5"}).content.decode()
    assert "Пожалуйста, исправьте" not in page and "Төмендегі қате" in page
    listing = client.get("/admin/auth/user/").content.decode()
    assert "Выберите" not in listing and "Қарау үшін" in listing
