"""The coordinators' home renders its KPI cards once per figures version and keeps them in
the cache (`home_cards_rendered`): a home read from the cache is the home computed afresh,
whichever person, region and language came before it, and a changed figure shows at once."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from regions.models import Region
from tests.factories import ValueFactory

pytestmark = pytest.mark.django_db

ASTANA, ALMATY = "710000000", "750000000"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def through_october() -> None:
    """Every region's offences to October this year and last, and its population."""
    for n, kato in enumerate(Region.objects.top_level().order_by("kato").values_list("kato", flat=True)):
        ValueFactory(kpi="crime.registered", kato=kato, period="2026-01/2026-10", value=1000 + n)
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-01/2025-10", value=1100)
        ValueFactory(kpi="population", kato=kato, period="2025", value=500_000)


def home(user, language: str) -> str:
    """The home page as `user` reads it in `language`, its per-request CSRF tokens blanked."""
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'lang="{language}"' in page
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', page)


@pytest.mark.usefixtures("through_october")
def test_a_cached_home_is_the_home_computed_afresh_whatever_came_before(coordinator_astana, coordinator_almaty) -> None:
    asked = [(user, language) for user in (coordinator_astana, coordinator_almaty) for language in ("en", "ru")]
    fresh = {}
    for what in asked:
        cache.clear()
        fresh[what] = home(*what)
    assert len(set(fresh.values())) == len(asked)  # each person and language its own cards
    assert "1000" in fresh[coordinator_astana, "en"] or "1 000" in fresh[coordinator_astana, "en"]
    assert "s figures</h2>" in fresh[coordinator_astana, "en"]  # the cards, not escaped
    cache.clear()
    for order in (asked, asked[::-1], asked[1::2] + asked[::2]):
        for what in order:
            assert home(*what) == fresh[what], what


@pytest.mark.usefixtures("through_october")
def test_a_changed_figure_is_shown_on_the_home_at_once(coordinator_astana) -> None:
    from initiatives.models import Value

    value = Value.objects.get(indicator__code="crime.registered", region__kato=ASTANA, period_start__year=2026)
    before = home(coordinator_astana, "en")
    assert before == home(coordinator_astana, "en")  # from the cache now
    Value.objects.filter(pk=value.pk).update(value=4321)  # a bulk update: the triggers bump the counters
    after = home(coordinator_astana, "en")
    assert after != before and "4321" in after.replace(" ", "").replace("\xa0", "").replace(",", "")
    cache.clear()
    assert after == home(coordinator_astana, "en")
