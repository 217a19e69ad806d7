"""Summaries kept ready in the cache: the same numbers as computed, never stale, and
recomputed by the worker when approved values change."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from initiatives.engine.figure_state import FigureState, dashboard_span
from initiatives.models import Indicator, Target, Value
from initiatives.periods import Month, Period
from initiatives.selectors import summary_cache
from initiatives.selectors.dashboard import default_span
from initiatives.selectors.summary_cache import summary_cached
from initiatives.services.figures import rollups_refresh
from initiatives.services.values import value_set
from initiatives.statistics.services import statistics_import
from regions.models import Region
from tests.factories import ValueFactory

pytestmark = pytest.mark.django_db

SEPTEMBER = Period.parse("2025-09")


@pytest.fixture
def registered() -> Indicator:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1300)
    ValueFactory(kpi="crime.registered", kato="750000000", period="2025-09", value=2100)
    return Indicator.objects.get(code="crime.registered")


def national(indicator: Indicator, span: Period = SEPTEMBER) -> Decimal | None:
    """The sum over the regions that have a figure (the other 18 have none here)."""
    return summary_cached(indicator=indicator, region=None, span=span).own.value.partial_value


def test_the_second_reader_gets_the_same_summary_from_the_cache(registered, monkeypatch) -> None:
    assert national(registered) == 1300 + 2100
    computed = []
    monkeypatch.setattr(summary_cache, "kpi_summary", lambda **kw: computed.append(kw))
    assert national(registered) == 3400
    assert computed == []


def test_a_changed_value_is_never_served_from_an_old_summary(registered) -> None:
    assert national(registered) == 3400
    Value.objects.filter(region__kato="710000000").update(value=1000)  # even a write that skips save()
    assert national(registered) == 1000 + 2100
    ValueFactory(kpi="crime.registered", kato="790000000", period="2025-09", value=500)
    assert national(registered) == 3600
    Value.objects.filter(region__kato="790000000").delete()
    assert national(registered) == 3100
    Value.objects.filter(region__kato="750000000").update(approval_state="pending")
    assert national(registered) == 1000  # Almaty's figure is no longer approved


def test_a_new_target_and_a_new_population_change_the_summary(registered) -> None:
    before = summary_cached(indicator=registered, region=None, span=SEPTEMBER)
    assert before.target is None
    Target.objects.create(indicator=registered, region=None, year=2025, target_value=Decimal(40000))
    assert summary_cached(indicator=registered, region=None, span=SEPTEMBER).target.target_value == 40000
    astana = Region.objects.get(kato="710000000")
    rate_before = summary_cached(indicator=registered, region=astana, span=SEPTEMBER).own.rate_per_10k
    ValueFactory(kpi="population", kato="710000000", period="2025-06", value=1_300_000)  # a stock, carried forward
    rate = summary_cached(indicator=registered, region=astana, span=SEPTEMBER).own.rate_per_10k
    assert rate_before is None or rate_before.value is None
    assert rate.value == Decimal(1300) / Decimal(1_300_000) * 10_000


def test_each_language_has_its_own_summary(registered) -> None:
    with translation.override("ru"):
        assert summary_cached(indicator=registered, region=None, span=SEPTEMBER).own.name == "Казахстан"
    with translation.override("en"):
        assert summary_cached(indicator=registered, region=None, span=SEPTEMBER).own.name == "Kazakhstan"


def test_an_import_has_the_worker_recompute_the_dashboard_in_every_language(
    in_process_tasks, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    with time_machine.travel(datetime.datetime(2025, 10, 5, 9, tzinfo=datetime.UTC)):
        csv = b"region,period,indicator,value\n710000000,2025-09,crime.registered,1300\n750000000,2025-09,crime.registered,2100\n"
        with django_capture_on_commit_callbacks(execute=True):
            statistics_import(source=io.BytesIO(csv), filename="september.csv")
        span = dashboard_span(Month(2025, 10))
        assert span == Period.parse("2025-01/2025-09")
        registered = Indicator.objects.get(code="crime.registered")
        per_10k = Indicator.objects.get(code="crime.registered_per_10k")
        monkeypatch.setattr(summary_cache, "kpi_summary", lambda **kw: pytest.fail("not recomputed by the worker"))
        for language in ("kk", "ru", "en"):
            with translation.override(language):
                summary = summary_cached(indicator=registered, region=None, span=span)
                assert (summary.own.value.value, summary.own.value.partial_value) == (None, 3400)  # Jan-Aug missing
                summary_cached(indicator=per_10k, region=None, span=span)  # the formula over it, too


def test_a_report_value_set_by_hand_has_the_summaries_recomputed(
    office, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    queued = []
    from initiatives import tasks

    monkeypatch.setattr(tasks.refresh_rollups, "delay", lambda ids: queued.append(ids))
    events = Indicator.objects.get(code="events.legal_literacy")
    with django_capture_on_commit_callbacks(execute=True):
        value_set(
            indicator=events,
            region=Region.objects.get(kato="710000000"),
            period=SEPTEMBER,
            value=Decimal(4),
            source="manual",
            user=office,
            approved=True,
        )
    assert queued == [[events.pk]]


def test_population_changing_recomputes_every_kpi(monkeypatch) -> None:
    with time_machine.travel(datetime.datetime(2025, 10, 5, 9, tzinfo=datetime.UTC)):
        population = Indicator.objects.get(code="population")
        assert rollups_refresh([population.pk]) == 3 * Indicator.objects.active().count()


def test_the_worker_leaves_the_dashboards_opening_span_ready_for_its_first_reader(
    registered, django_assert_num_queries
) -> None:
    with time_machine.travel(datetime.datetime(2025, 10, 5, 9, tzinfo=datetime.UTC)):
        rollups_refresh([registered.pk])
        state = FigureState.now()
        with django_assert_num_queries(0):  # from the cache, no book read to choose it
            default_span(indicator=registered, region=None, today=datetime.date(2025, 10, 5), state=state)


def test_a_cache_that_is_down_costs_speed_not_numbers(registered, settings) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "projectoffice.cache.ForgivingRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    assert national(registered) == 3400
    Value.objects.filter(region__kato="710000000").update(value=1000)
    assert national(registered) == 3100


def test_a_formula_over_a_formula_follows_the_values_at_the_bottom() -> None:
    """theft per (offences per 10,000): a change to offences must reach it, two levels up."""
    from decimal import Decimal as D

    from tests.factories import IndicatorFactory

    ValueFactory(kpi="crime.theft", kato="710000000", period="2025-09", value=100)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1000)
    ValueFactory(kpi="population", kato="710000000", period="2025-06", value=1_000_000)
    nested = IndicatorFactory(
        unit="percent",
        aggregation_time="recompute",
        aggregation_regions="recompute",
        source="computed",
        numerator=Indicator.objects.get(code="crime.theft"),
        denominator=Indicator.objects.get(code="crime.registered_per_10k"),
        factor=D(1),
    )
    astana = Region.objects.get(kato="710000000")
    first = summary_cached(indicator=nested, region=astana, span=SEPTEMBER).own.value.value
    assert first == D(100) / (D(1000) / D(1_000_000) * 10_000)  # 100 / 10 = 10
    Value.objects.filter(indicator__code="crime.registered").update(value=2000)
    assert summary_cached(indicator=nested, region=astana, span=SEPTEMBER).own.value.value == 5


def test_a_transaction_of_many_writes_queues_one_recomputation(
    office, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from django.db import transaction

    from initiatives import tasks

    queued = []
    monkeypatch.setattr(tasks.refresh_rollups, "delay", lambda ids: queued.append(ids))
    astana = Region.objects.get(kato="710000000")
    codes = ["events.legal_literacy", "citizen_reports.rewarded", "events.legal_literacy"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for month, code in zip(("2025-07", "2025-08", "2025-09"), codes, strict=True):
            value_set(
                indicator=Indicator.objects.get(code=code),
                region=astana,
                period=Period.parse(month),
                value=Decimal(4),
                source="manual",
                user=office,
                approved=True,
            )
    ids = sorted(Indicator.objects.filter(code__in=codes).values_list("pk", flat=True))
    assert queued == [ids]


def test_a_value_changed_in_the_admin_has_the_summaries_recomputed(
    client, office, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from initiatives import tasks

    queued = []
    monkeypatch.setattr(tasks.refresh_rollups, "delay", lambda ids: queued.append(ids))
    value = ValueFactory(kpi="events.legal_literacy", kato="710000000", period="2025-09", value=4)
    value.source = "manual"
    value.save()
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/admin/initiatives/value/{value.pk}/change/",
            {
                "indicator": value.indicator_id,
                "region": value.region_id,
                "period": "2025-09",
                "value": "5",
                "source": "manual",
                "comment": "",
                "seen_version": value.version,
            },
        )
    assert answer.status_code == 302, answer.content[:500]
    assert queued == [[value.indicator_id]]
