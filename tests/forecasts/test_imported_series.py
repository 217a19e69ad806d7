"""A forecast reads the values an import created, which have no history row until they
are first replaced (their first version is their batch: services/value_history.py)."""

import datetime
import io

import pytest
from django.utils import timezone

from initiatives.forecasts.series import first_month
from initiatives.models import Indicator, Value
from initiatives.periods import Month
from initiatives.statistics.services import statistics_import

pytestmark = pytest.mark.django_db


def test_the_first_month_as_of_a_moment_counts_imported_values_without_history(office) -> None:
    rows = "\n".join(f"710000000,2025-{m:02d},crime.registered,{10 + m}" for m in range(3, 10))
    batch = statistics_import(source=io.BytesIO(f"region,period,indicator,value\n{rows}\n".encode()), user=office).batch
    assert not Value.history.exists()
    kpi = Indicator.objects.get(code="crime.registered")
    origin = Month.from_date(datetime.date(2025, 9, 1))

    assert first_month(kpi, origin, as_of=timezone.now()) == Month.from_date(datetime.date(2025, 3, 1))
    assert first_month(kpi, origin, as_of=batch.committed_at - datetime.timedelta(seconds=1)) is None
    # Replaced: its first version ('+', dated the batch's commit) still counts from then.
    statistics_import(
        source=io.BytesIO(b"region,period,indicator,value\n710000000,2025-03,crime.registered,99\n"), user=office
    )
    assert first_month(kpi, origin, as_of=batch.committed_at) == Month.from_date(datetime.date(2025, 3, 1))
