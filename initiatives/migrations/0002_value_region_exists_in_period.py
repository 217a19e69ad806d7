"""A value's region must exist during the value's period.

The rule spans two tables, so a CHECK constraint cannot hold it; triggers do, on both
sides: a value cannot be written for a region outside its validity, and a region's
validity cannot be narrowed so that it leaves values stranded. A region "exists during"
a period when its validity overlaps any day of it.
"""

from django.db import migrations

POSTGRES = [
    """
    CREATE FUNCTION value_region_exists_in_period() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM regions_region r
        WHERE r.id = NEW.region_id
          AND ((r.valid_from IS NOT NULL AND r.valid_from >= NEW.period_end + interval '1 month')
            OR (r.valid_to IS NOT NULL AND r.valid_to < NEW.period_start))
      ) THEN
        RAISE EXCEPTION 'value_region_exists_in_period: region % did not exist from % to the end of %',
          NEW.region_id, NEW.period_start, NEW.period_end USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    """,
    """
    CREATE TRIGGER value_region_exists_in_period
    BEFORE INSERT OR UPDATE OF region_id, period_start, period_end ON initiatives_value
    FOR EACH ROW EXECUTE FUNCTION value_region_exists_in_period();
    """,
    """
    CREATE FUNCTION region_validity_keeps_values() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM initiatives_value v
        WHERE v.region_id = NEW.id
          AND ((NEW.valid_from IS NOT NULL AND NEW.valid_from >= v.period_end + interval '1 month')
            OR (NEW.valid_to IS NOT NULL AND NEW.valid_to < v.period_start))
      ) THEN
        RAISE EXCEPTION 'value_region_exists_in_period: region % has values outside % to %',
          NEW.kato, NEW.valid_from, NEW.valid_to USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    """,
    """
    CREATE TRIGGER region_validity_keeps_values
    BEFORE UPDATE OF valid_from, valid_to ON regions_region
    FOR EACH ROW EXECUTE FUNCTION region_validity_keeps_values();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS region_validity_keeps_values ON regions_region",
    "DROP FUNCTION IF EXISTS region_validity_keeps_values()",
    "DROP TRIGGER IF EXISTS value_region_exists_in_period ON initiatives_value",
    "DROP FUNCTION IF EXISTS value_region_exists_in_period()",
]

_VALUE_OUTSIDE_REGION = """
    EXISTS (SELECT 1 FROM regions_region r WHERE r.id = NEW.region_id
      AND ((r.valid_from IS NOT NULL AND r.valid_from >= date(NEW.period_end, '+1 month'))
        OR (r.valid_to IS NOT NULL AND r.valid_to < NEW.period_start)))
"""
SQLITE = [
    f"""
    CREATE TRIGGER value_region_exists_in_period_insert BEFORE INSERT ON initiatives_value
    FOR EACH ROW WHEN {_VALUE_OUTSIDE_REGION}
    BEGIN SELECT RAISE(ABORT, 'value_region_exists_in_period: the region did not exist during the period'); END;
    """,
    f"""
    CREATE TRIGGER value_region_exists_in_period_update
    BEFORE UPDATE OF region_id, period_start, period_end ON initiatives_value
    FOR EACH ROW WHEN {_VALUE_OUTSIDE_REGION}
    BEGIN SELECT RAISE(ABORT, 'value_region_exists_in_period: the region did not exist during the period'); END;
    """,
    """
    CREATE TRIGGER region_validity_keeps_values BEFORE UPDATE OF valid_from, valid_to ON regions_region
    FOR EACH ROW WHEN EXISTS (SELECT 1 FROM initiatives_value v WHERE v.region_id = NEW.id
      AND ((NEW.valid_from IS NOT NULL AND NEW.valid_from >= date(v.period_end, '+1 month'))
        OR (NEW.valid_to IS NOT NULL AND NEW.valid_to < v.period_start)))
    BEGIN SELECT RAISE(ABORT, 'value_region_exists_in_period: the region has values outside its validity'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS region_validity_keeps_values",
    "DROP TRIGGER IF EXISTS value_region_exists_in_period_update",
    "DROP TRIGGER IF EXISTS value_region_exists_in_period_insert",
]


def _run(statements_by_vendor: dict[str, list[str]]):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no trigger for database {schema_editor.connection.vendor}")
        for sql in statements:
            schema_editor.execute(sql, params=None)  # no params: `%` in PL/pgSQL stays literal

    return run


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0001_initial"), ("regions", "0002_first_level_regions")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
