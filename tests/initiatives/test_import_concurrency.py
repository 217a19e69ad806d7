"""Two imports at once on PostgreSQL take turns instead of colliding."""

import io
import threading

import pytest
from django.db import connection

from initiatives.models import ImportBatch, Value
from initiatives.statistics.services import statistics_import


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_new_keys_at_once_both_land_one_after_the_other(reference_data: None) -> None:
    rows = "\n".join(f"710000000,2025-{m:02d},crime.registered,{{value}}" for m in range(1, 13))
    files = [f"region,period,indicator,value\n{rows.format(value=v)}\n".encode() for v in (100, 200)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(data: bytes) -> None:
        try:
            start.wait()
            statistics_import(source=io.BytesIO(data), filename="concurrent.csv")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(data,)) for data in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert ImportBatch.objects.filter(status="succeeded").count() == 2
    assert Value.objects.count() == 12
    # The second to commit replaced the first: every month holds one file's value, whole.
    assert len(set(Value.objects.values_list("value", flat=True))) == 1
    # The first file's values landed without a row; the second's changes wrote, for each,
    # its first version (the first file's batch) and then the change.
    assert sorted(Value.history.values_list("history_type", flat=True)) == ["+"] * 12 + ["~"] * 12
    first, _second = ImportBatch.objects.order_by("committed_at")
    assert set(Value.history.filter(history_type="+").values_list("import_batch_id", "history_date")) == {
        (first.pk, first.committed_at)
    }
