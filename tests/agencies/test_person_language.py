"""Each person has a language, set from their last choice in the language switcher, and
the e-mails written to them speak it."""

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve

from agencies import urls as agencies_urls
from agencies.models import Membership, MembershipRole, Profile, RegionalBranch, person_language
from initiatives.models import OutboxMessage
from initiatives.portal import urls as portal_urls
from initiatives.services.reminders import reminders_send
from initiatives.services.reports import report_return
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_switcher_remembers_the_persons_choice(client: Client, coordinator_astana, settings) -> None:
    client.force_login(coordinator_astana)
    assert person_language(coordinator_astana) == settings.LANGUAGE_CODE  # the site's, until they choose
    response = client.post("/i18n/setlang/", {"language": "kk", "next": "/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "kk"
    assert Profile.objects.get(user=coordinator_astana).language == "kk"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert Profile.objects.get(user=coordinator_astana).language == "en"
    assert Profile.objects.get(user=coordinator_astana).history.count() == 2  # who chose what, when


def test_an_anonymous_visitor_switches_without_a_profile(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "kk", "next": "/login/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "kk"
    assert not Profile.objects.exists()


def test_an_unknown_language_is_not_remembered(client: Client, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert not Profile.objects.exists()


def test_a_kazakh_speaking_coordinator_gets_the_notice_in_kazakh(
    client: Client, coordinator_astana, office, submitted
) -> None:
    client.force_login(coordinator_astana)
    client.post("/i18n/setlang/", {"language": "kk", "next": "/"})
    russian = UserFactory(username="coordinator.astana.2")
    Membership.objects.create(user=russian, branch=submitted.branch, role=MembershipRole.COORDINATOR)
    Profile.objects.create(user=russian, language="ru")

    report_return(report=submitted, reason="the figures are off", user=office)

    kk = OutboxMessage.objects.get(recipient=coordinator_astana.email, key__contains=":returned:")
    ru = OutboxMessage.objects.get(recipient=russian.email, key__contains=":returned:")
    assert kk.subject == "2026-10 кезеңіне арналған есеп пысықтауға қайтарылды"
    assert ru.subject == "Отчёт за 2026-10 возвращён на доработку"


def test_reminders_are_written_in_each_persons_language(coordinator_astana, astana) -> None:
    Profile.objects.create(user=coordinator_astana, language="kk")
    english = UserFactory(username="coordinator.astana.en")
    Membership.objects.create(
        user=english, branch=RegionalBranch.objects.get(region=astana), role=MembershipRole.COORDINATOR
    )
    Profile.objects.create(user=english, language="en")
    # Three days before October's report is due (15 November).
    reminders_send(today=datetime.date(2026, 11, 12))
    kk = OutboxMessage.objects.filter(recipient=coordinator_astana.email).first()
    en = OutboxMessage.objects.filter(recipient=english.email).first()
    assert kk is not None and en is not None
    assert kk.subject != en.subject
    assert any("\u0400" <= ch <= "\u04ff" for ch in kk.subject)  # Cyrillic: Kazakh
    assert en.subject.isascii()


def test_the_office_sees_a_persons_language_on_their_user_page(client: Client, office, coordinator_astana) -> None:
    Profile.objects.create(user=coordinator_astana, language="kk")
    client.force_login(office)
    page = client.get(f"/admin/auth/user/{coordinator_astana.pk}/change/").content.decode()
    # Read only: accounts are kept by access administrators.
    assert "View user" in page and 'name="profile-0-language"' not in page
    assert str(dict(settings.LANGUAGES)["kk"]) in page


def test_a_person_who_never_chose_is_written_to_in_their_browsers_language(
    client: Client, coordinator_astana, office, submitted
) -> None:
    client.force_login(coordinator_astana)
    client.get("/", HTTP_ACCEPT_LANGUAGE="kk-KZ,kk;q=0.9,ru;q=0.8")
    assert person_language(coordinator_astana) == "kk"

    report_return(report=submitted, reason="the figures are off", user=office)

    notice = OutboxMessage.objects.get(recipient=coordinator_astana.email, key__contains=":returned:")
    assert notice.subject == "2026-10 кезеңіне арналған есеп пысықтауға қайтарылды"


def test_the_browser_follows_a_new_ask_but_never_overrides_a_choice(client: Client, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    client.get("/", HTTP_ACCEPT_LANGUAGE="kk")
    client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert person_language(coordinator_astana) == "en"  # the browser asks for something else now
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    client.get("/", HTTP_ACCEPT_LANGUAGE="kk")
    profile = Profile.objects.get(user=coordinator_astana)
    assert (profile.language, profile.language_from_browser) == ("ru", False)


def test_a_browser_asking_for_a_language_the_site_does_not_speak_changes_nothing(
    client: Client, coordinator_astana
) -> None:
    client.force_login(coordinator_astana)
    client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,fr;q=0.5")
    assert not Profile.objects.exists()
    client.get("/", HTTP_ACCEPT_LANGUAGE="kk")
    # Once remembered, a visit asking the same costs nothing more.
    client.get("/", HTTP_ACCEPT_LANGUAGE="kk")
    assert Profile.objects.get(user=coordinator_astana).history.count() == 1


def test_log_in_log_out_and_the_switcher_are_the_site_s_not_the_portal_s() -> None:
    # They serve every app's pages (the citizen register's too), so no app's portal holds them.
    assert resolve("/i18n/setlang/").func.__module__ == "agencies.views"
    site_urls = {p.name for p in agencies_urls.urlpatterns}
    assert {"login", "logout", "set_language"} <= site_urls
    assert site_urls.isdisjoint(p.name for p in portal_urls.urlpatterns)
