"""The portal and the dashboard in Kazakh, in a real browser: no English left on screen.

English leftovers are found by looking for the catalogue's own English source strings
on the page; what people typed (names, comments) is not interface text and is not checked.
"""

import datetime
import re
from pathlib import Path

import pytest
import time_machine

from initiatives.models import Indicator, Target
from regions.models import Region
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, ValueFactory

pytestmark = pytest.mark.django_db(transaction=True)
CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "kk" / "LC_MESSAGES" / "django.po"


def english_phrases() -> set[str]:
    """The interface's English strings of two words or more, placeholders cut out."""
    text = CATALOGUE.read_text(encoding="utf-8")
    phrases = set()
    for block in re.findall(r'^msgid ((?:".*"\n)+)', text, flags=re.M):
        source = "".join(re.findall(r'"(.*)"', block))
        for piece in re.split(r"%\(\w+\)[sdr]|%s", source):
            piece = piece.strip(" .,:;()«»\\n")
            if len(piece.split()) >= 2 and not re.search(r"\d{4}|[A-Z]{3,}|crime\.|\.py|manage", piece):
                phrases.add(piece)
    return phrases


def leftovers(page_text: str) -> list[str]:
    return sorted(p for p in english_phrases() if p in page_text)


@pytest.fixture
def figures() -> None:
    for i, kato in enumerate(Region.objects.top_level().values_list("kato", flat=True)):
        ValueFactory(kpi="crime.registered", kato=kato, period="2026-01/2026-10", value=4000 + i * 10)
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-01/2025-10", value=4200 + i * 10)
    Target.objects.create(
        indicator=Indicator.objects.get(code="crime.registered"), region=None, year=2026, target_value=90000
    )


def test_the_portal_and_the_dashboard_speak_kazakh(
    browser, live_server, screenshot, figures, office, coordinator_astana
) -> None:
    with time_machine.travel(datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC), tick=True):
        context = browser.new_context(locale="kk-KZ", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(10_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

        def screenshot(name: str) -> None:
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

        def log_in(username: str) -> None:
            context.clear_cookies()
            page.goto("/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")

        log_in("office")
        assert page.locator("h1").inner_text() == "Қарауға арналған есептер"
        page.goto("/dashboard/")
        body = page.locator("main").inner_text()
        screenshot("kk-01-dashboard")
        assert page.locator("h1").inner_text() == "Ел бойынша жалпы көрініс"
        assert leftovers(body) == [], leftovers(body)
        # Numbers and dates as the reader writes them: 81 900, -4,7 %, 15.11.2026.
        assert "81\u00a0900" in body and "\u22124,7%" in body and "-4,7%" not in body  # a true minus on the page

        log_in("coordinator.astana")
        body = page.locator("body").inner_text()
        screenshot("kk-02-home")
        assert leftovers(body) == [], leftovers(body)
        page.click("button[type=submit] >> nth=1")  # start last month's report (the first is log-out)
        body = page.locator("body").inner_text()
        screenshot("kk-03-report")
        assert leftovers(body) == [], leftovers(body)
        assert "15.11.2026" in body
        context.close()
