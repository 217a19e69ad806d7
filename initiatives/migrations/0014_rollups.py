"""Rollups of approved values and the version counters of figures, kept by triggers.

The engine reads sums from `initiatives_rollup` instead of every value; triggers on the
values (and on the regions, targets and KPIs, for the counters) keep both current in the
transaction of the write, whichever way it came. PostgreSQL: one statement-level trigger
per event, set-based over the rows the statement changed. SQLite (the embedded default):
row triggers doing the same per row.
"""
import django.db.models.deletion
from django.db import migrations, models

# The regions above each region, as far as the nation (ancestor 0), with how far up they
# are. KATO has four levels, so three steps up reach the top; the nation is one more.
ANCESTRY_VIEW = """
CREATE VIEW initiatives_region_ancestry AS
SELECT r.id AS region_id, r.level AS region_level, r.parent_id AS ancestor_id, 1 AS depth
  FROM regions_region r WHERE r.parent_id IS NOT NULL
UNION ALL
SELECT r.id, r.level, p.parent_id, 2
  FROM regions_region r JOIN regions_region p ON p.id = r.parent_id
  WHERE p.parent_id IS NOT NULL
UNION ALL
SELECT r.id, r.level, g.parent_id, 3
  FROM regions_region r JOIN regions_region p ON p.id = r.parent_id JOIN regions_region g ON g.id = p.parent_id
  WHERE g.parent_id IS NOT NULL
UNION ALL
SELECT r.id, r.level, 0, 1
  + CASE WHEN r.parent_id IS NULL THEN 0 ELSE 1 END
  + CASE WHEN p.parent_id IS NULL THEN 0 ELSE 1 END
  + CASE WHEN g.parent_id IS NULL THEN 0 ELSE 1 END
  FROM regions_region r
  LEFT JOIN regions_region p ON p.id = r.parent_id
  LEFT JOIN regions_region g ON g.id = p.parent_id
"""

MONTH = {
    "postgresql": "(EXTRACT(YEAR FROM {d})::int * 12 + EXTRACT(MONTH FROM {d})::int - 1)",
    "sqlite": "(CAST(strftime('%Y', {d}) AS INTEGER) * 12 + CAST(strftime('%m', {d}) AS INTEGER) - 1)",
}

CELL = "(indicator_id, ancestor_id, depth, level, first_month, last_month)"
ADD_TO_CELL = "DO UPDATE SET total = r.total + EXCLUDED.total, n = r.n + EXCLUDED.n"
# SQLite has no alias on INSERT: a bare column is the row already there.
SQLITE_ADD_TO_CELL = "DO UPDATE SET total = total + excluded.total, n = n + excluded.n"


def fresh(vendor: str) -> str:
    """The rollups computed from the values: what `rebuild_rollups` writes."""
    m = MONTH[vendor]
    return f"""
    SELECT v.indicator_id, a.ancestor_id, a.depth, a.region_level,
           {m.format(d="v.period_start")}, {m.format(d="v.period_end")}, SUM(v.value), COUNT(*)
    FROM initiatives_value v JOIN initiatives_region_ancestry a ON a.region_id = v.region_id
    WHERE v.approval_state = 'approved'
    GROUP BY v.indicator_id, a.ancestor_id, a.depth, a.region_level, v.period_start, v.period_end
    """


def _pg_delta(side: str, sign: str) -> str:
    m = MONTH["postgresql"]
    return (
        f"SELECT {side}.indicator_id, {side}.region_id, {m.format(d=side + '.period_start')} AS first_month, "
        f"{m.format(d=side + '.period_end')} AS last_month, {sign}{side}.value AS total, {sign}1 AS n"
    )


_CHANGED = (
    "(n.indicator_id, n.region_id, n.period_start, n.period_end, n.value, n.approval_state) IS DISTINCT FROM "
    "(o.indicator_id, o.region_id, o.period_start, o.period_end, o.value, o.approval_state)"
)
PG_DELTAS = {
    "insert": f"{_pg_delta('n', '')} FROM new_rows n WHERE n.approval_state = 'approved'",
    "delete": f"{_pg_delta('o', '-')} FROM old_rows o WHERE o.approval_state = 'approved'",
    "update": (
        f"{_pg_delta('n', '')} FROM new_rows n JOIN old_rows o ON o.id = n.id"
        f" WHERE n.approval_state = 'approved' AND {_CHANGED}"
        f" UNION ALL {_pg_delta('o', '-')} FROM new_rows n JOIN old_rows o ON o.id = n.id"
        f" WHERE o.approval_state = 'approved' AND {_CHANGED}"
    ),
}
PG_REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def _pg_value_trigger(event: str) -> list[str]:
    # One statement for the whole write, however many rows: the changed values grouped by
    # the cells they fall in, added to them; cells and counters taken in key order, so two
    # writers cannot deadlock on them.
    return [
        f"""
        CREATE FUNCTION initiatives_rollup_after_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          WITH delta AS ({PG_DELTAS[event]}),
          bumped AS (
            INSERT INTO initiatives_figureversion AS fv (key, n)
            SELECT 'kpi:' || k.indicator_id, 1 FROM (SELECT DISTINCT indicator_id FROM delta) k ORDER BY 1
            ON CONFLICT (key) DO UPDATE SET n = fv.n + 1
          )
          INSERT INTO initiatives_rollup AS r {CELL[:-1]}, total, n)
          SELECT d.indicator_id, a.ancestor_id, a.depth, a.region_level, d.first_month, d.last_month,
                 SUM(d.total), SUM(d.n)
          FROM delta d JOIN initiatives_region_ancestry a ON a.region_id = d.region_id
          GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
          ON CONFLICT {CELL} {ADD_TO_CELL};
          RETURN NULL;
        END $$;
        """,
        f"""
        CREATE TRIGGER initiatives_rollup_after_{event} AFTER {event.upper()} ON initiatives_value
        {PG_REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION initiatives_rollup_after_{event}();
        """,
    ]


def _rebuild(vendor: str) -> str:
    return f"DELETE FROM initiatives_rollup; INSERT INTO initiatives_rollup {CELL[:-1]}, total, n) {fresh(vendor)}"


POSTGRES = [
    ANCESTRY_VIEW,
    *_pg_value_trigger("insert"),
    *_pg_value_trigger("update"),
    *_pg_value_trigger("delete"),
    """
    CREATE FUNCTION initiatives_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO initiatives_figureversion AS fv (key, n) VALUES (TG_ARGV[0], 1)
      ON CONFLICT (key) DO UPDATE SET n = fv.n + 1;
      RETURN NULL;
    END $$;
    """,
    *(
        f"""
        CREATE TRIGGER initiatives_version_{key} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION initiatives_bump_version('{key}');
        """
        for key, table in (
            ("targets", "initiatives_target"),
            ("regions", "regions_region"),
            ("indicators", "initiatives_indicator"),
        )
    ),
    # A region moved under another parent moves its values' sums: rare (a reorganisation),
    # so the rollups are rebuilt whole, in the same transaction.
    f"""
    CREATE FUNCTION initiatives_rollup_after_region_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.parent_id IS DISTINCT FROM o.parent_id)
      THEN
        {_rebuild("postgresql")};
      END IF;
      RETURN NULL;
    END $$;
    """,
    """
    CREATE TRIGGER initiatives_rollup_after_region_move AFTER UPDATE ON regions_region
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION initiatives_rollup_after_region_move();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS initiatives_rollup_after_region_move ON regions_region",
    "DROP FUNCTION IF EXISTS initiatives_rollup_after_region_move()",
    "DROP TRIGGER IF EXISTS initiatives_version_targets ON initiatives_target",
    "DROP TRIGGER IF EXISTS initiatives_version_regions ON regions_region",
    "DROP TRIGGER IF EXISTS initiatives_version_indicators ON initiatives_indicator",
    "DROP FUNCTION IF EXISTS initiatives_bump_version()",
    *(
        f"DROP TRIGGER IF EXISTS initiatives_rollup_after_{event} ON initiatives_value; "
        f"DROP FUNCTION IF EXISTS initiatives_rollup_after_{event}()"
        for event in ("insert", "update", "delete")
    ),
    "DROP VIEW IF EXISTS initiatives_region_ancestry",
]


def _sqlite_add(row: str, sign: str) -> str:
    m = MONTH["sqlite"]
    return f"""
    INSERT INTO initiatives_rollup {CELL[:-1]}, total, n)
    SELECT {row}.indicator_id, a.ancestor_id, a.depth, a.region_level, {m.format(d=row + ".period_start")},
           {m.format(d=row + ".period_end")}, {sign}{row}.value, {sign}1
    FROM initiatives_region_ancestry a WHERE a.region_id = {row}.region_id AND {row}.approval_state = 'approved'
    ON CONFLICT {CELL} {SQLITE_ADD_TO_CELL};
    INSERT INTO initiatives_figureversion (key, n) VALUES ('kpi:' || {row}.indicator_id, 1)
    ON CONFLICT (key) DO UPDATE SET n = n + 1;
    """


def _sqlite_bump(key: str, table: str) -> list[str]:
    return [
        f"""
        CREATE TRIGGER initiatives_version_{key}_{event} AFTER {event} ON {table}
        BEGIN
          INSERT INTO initiatives_figureversion (key, n) VALUES ('{key}', 1)
          ON CONFLICT (key) DO UPDATE SET n = n + 1;
        END;
        """
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


SQLITE = [
    ANCESTRY_VIEW,
    f"""
    CREATE TRIGGER initiatives_rollup_after_insert AFTER INSERT ON initiatives_value
    WHEN NEW.approval_state = 'approved'
    BEGIN {_sqlite_add("NEW", "")} END;
    """,
    f"""
    CREATE TRIGGER initiatives_rollup_after_delete AFTER DELETE ON initiatives_value
    WHEN OLD.approval_state = 'approved'
    BEGIN {_sqlite_add("OLD", "-")} END;
    """,
    f"""
    CREATE TRIGGER initiatives_rollup_after_update AFTER UPDATE ON initiatives_value
    WHEN (OLD.approval_state = 'approved' OR NEW.approval_state = 'approved')
      AND (OLD.indicator_id IS NOT NEW.indicator_id OR OLD.region_id IS NOT NEW.region_id
        OR OLD.period_start IS NOT NEW.period_start OR OLD.period_end IS NOT NEW.period_end
        OR OLD.value IS NOT NEW.value OR OLD.approval_state IS NOT NEW.approval_state)
    BEGIN {_sqlite_add("OLD", "-")} {_sqlite_add("NEW", "")} END;
    """,
    *_sqlite_bump("targets", "initiatives_target"),
    *_sqlite_bump("regions", "regions_region"),
    *_sqlite_bump("indicators", "initiatives_indicator"),
    f"""
    CREATE TRIGGER initiatives_rollup_after_region_move AFTER UPDATE OF parent_id ON regions_region
    WHEN OLD.parent_id IS NOT NEW.parent_id
    BEGIN {_rebuild("sqlite")}; END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS initiatives_rollup_after_region_move",
    *(
        f"DROP TRIGGER IF EXISTS initiatives_version_{key}_{event}"
        for key in ("targets", "regions", "indicators")
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
    *(f"DROP TRIGGER IF EXISTS initiatives_rollup_after_{event}" for event in ("insert", "update", "delete")),
    "DROP VIEW IF EXISTS initiatives_region_ancestry",
]


def _run(statements_by_vendor: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no rollup triggers for database {schema_editor.connection.vendor}")
        for sql in statements:
            schema_editor.execute(sql, params=None)  # no params: `%` stays literal

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('initiatives', '0013_export_scope'),
    ]

    operations = [
        migrations.CreateModel(
            name='FigureVersion',
            fields=[
                ('key', models.CharField(max_length=64, primary_key=True, serialize=False)),
                ('n', models.BigIntegerField(default=0)),
            ],
            options={
                'verbose_name': 'figure version',
                'verbose_name_plural': 'figure versions',
                'ordering': ['key'],
            },
        ),
        migrations.CreateModel(
            name='RollupCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('checked_at', models.DateTimeField(auto_now_add=True, verbose_name='checked at')),
                ('differences', models.IntegerField(verbose_name='differences')),
                ('detail', models.TextField(blank=True, verbose_name='detail')),
            ],
            options={
                'verbose_name': 'rollup check',
                'verbose_name_plural': 'rollup checks',
                'ordering': ['-checked_at'],
                'get_latest_by': 'checked_at',
            },
        ),
        migrations.CreateModel(
            name='Rollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('ancestor_id', models.IntegerField()),
                ('depth', models.PositiveSmallIntegerField()),
                ('level', models.PositiveSmallIntegerField()),
                ('first_month', models.IntegerField()),
                ('last_month', models.IntegerField()),
                ('total', models.DecimalField(decimal_places=4, max_digits=34)),
                ('n', models.IntegerField()),
                ('indicator', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='initiatives.indicator')),
            ],
            options={
                'verbose_name': 'rollup',
                'verbose_name_plural': 'rollups',
                'ordering': ['indicator_id', 'ancestor_id', 'depth', 'level', 'first_month', 'last_month'],
                'constraints': [models.UniqueConstraint(fields=('indicator', 'ancestor_id', 'depth', 'level', 'first_month', 'last_month'), name='rollup_one_per_cell')],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
