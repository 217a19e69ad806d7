"""SQL written by hand runs with the debug cursor on, as `make run` (DEBUG=1) and the
debug toolbar have it: Django's debug log formats each statement with its parameters, so
a stray '%' in the SQL text (a date format, say) fails there and nowhere else."""

import pytest
from django.db import connection

from initiatives.engine import rollup_tables
from initiatives.engine.summary import kpi_summary
from initiatives.models import Indicator, RollupCheckpoint
from initiatives.periods import Month, Period
from initiatives.services.checkpoints import checkpoint_take
from regions.models import Region
from tests.factories import value

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug_cursor():  # type: ignore[no-untyped-def]
    was = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield
    connection.force_debug_cursor = was


def test_a_checkpoint_an_as_of_summary_and_a_rebuild_run_with_the_debug_cursor(debug_cursor) -> None:  # type: ignore[no-untyped-def]
    region = Region.objects.filter(level=1).order_by("kato").first()
    assert region is not None
    first = value("crime.theft", region, Period(Month(2026, 1), Month(2026, 1)), 7)
    first.save()
    checkpoint = checkpoint_take()
    assert checkpoint is not None and RollupCheckpoint.objects.filter(pk=checkpoint.pk).exists()
    assert checkpoint.cells > 0
    indicator = Indicator.objects.get(code="crime.theft")
    summary = kpi_summary(
        indicator=indicator, region=region, span=Period(Month(2026, 1), Month(2026, 1)), as_of=checkpoint.moment
    )
    assert summary.own.value.value == 7
    assert rollup_tables.rebuild([indicator.pk]) > 0
    assert rollup_tables.differences([indicator.pk]) == []
