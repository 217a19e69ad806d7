"""The dashboard's figures are rendered once per figures version and kept in the cache
(`dashboard_page_key`): a page read from the cache is the page computed afresh, whichever
KPI, region, language and reader came before it, and a change of the figures shows at once."""

import pytest
from django.core.cache import cache
from django.test import Client

from regions.models import Region
from tests.factories import ValueFactory

pytestmark = pytest.mark.django_db

ASTANA, ALMATY = "710000000", "750000000"


@pytest.fixture
def through_october() -> None:
    """Every region's offences to October this year and last, and its population."""
    for n, kato in enumerate(Region.objects.top_level().order_by("kato").values_list("kato", flat=True)):
        ValueFactory(kpi="crime.registered", kato=kato, period="2026-01/2026-10", value=1000 + n)
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-01/2025-10", value=1100)
        ValueFactory(kpi="population", kato=kato, period="2025", value=500_000)


def figures(client: Client, user, kpi: str, region: str, language: str) -> str:  # type: ignore[no-untyped-def]
    """The page below its pickers, as `user` reads it in `language`."""
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(f"/dashboard/?kpi={kpi}&region={region}")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'lang="{language}"' in page
    return page.split('class="card headline"')[1].split("</main>")[0]


@pytest.mark.usefixtures("through_october")
def test_a_cached_page_is_the_page_computed_afresh_whatever_came_before(
    office,
    coordinator_astana,  # type: ignore[no-untyped-def]
) -> None:
    ValueFactory(kpi="crime.theft", kato=ASTANA, period="2026-01/2026-10", value=17)
    ValueFactory(kpi="crime.theft", kato=ALMATY, period="2026-01/2026-10", value=23)
    asked = [
        (user, kpi, region, language)
        for kpi in ("crime.registered", "crime.theft")
        for language in ("en", "ru")
        for user, region in ((office, ASTANA), (office, ALMATY), (coordinator_astana, ASTANA))
    ]
    fresh = {}
    for what in asked:
        cache.clear()
        fresh[what] = figures(Client(), *what)
    # Each page its own, but the office's and the coordinator's of Astana (per KPI and language).
    assert len(set(fresh.values())) == len(asked) - 4
    cache.clear()
    for order in (asked, asked[::-1], asked[1::2] + asked[::2]):
        for what in order:
            assert figures(Client(), *what) == fresh[what], what


@pytest.mark.usefixtures("through_october")
def test_a_changed_figure_is_shown_at_once(office) -> None:  # type: ignore[no-untyped-def]
    from initiatives.models import Value

    value = ValueFactory(kpi="crime.theft", kato=ASTANA, period="2026-01/2026-10", value=17)
    client = Client()
    before = figures(client, office, "crime.theft", ASTANA, "en")
    assert before == figures(client, office, "crime.theft", ASTANA, "en")  # from the cache now
    Value.objects.filter(pk=value.pk).update(value=4321)  # a bulk update: the triggers bump the counters
    after = figures(client, office, "crime.theft", ASTANA, "en")
    assert after != before
    cache.clear()
    assert after == figures(client, office, "crime.theft", ASTANA, "en")
