"""On PostgreSQL, tree queries by KATO prefix must be able to use an index."""

import pytest
from django.db import connection

from regions.models import Region


def kato_pattern_index() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'regions_region' AND indexdef LIKE %s",
            ["%(kato varchar_pattern_ops)%"],
        )
        (name,) = cursor.fetchone()
    return str(name)


@pytest.mark.postgres
@pytest.mark.django_db
def test_descendants_are_found_through_the_index() -> None:
    akmola = Region.objects.get(kato="110000000")
    query = Region.objects.descendants_of(akmola).only("pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"Index Scan using {kato_pattern_index()}" in plan, plan
