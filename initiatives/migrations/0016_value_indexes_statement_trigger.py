"""Writes of values at database speed (issue 13): fewer indexes, and the region rule
checked once per statement instead of once per row.

- The foreign keys of a value lose their own indexes where another index already leads
  with the column (the KPI: the unique constraint; the region: value_region_period_idx),
  or become partial where most values hold NULL (the approving user, the report). The
  history table keeps its indexes on the value, the date and the user only.
  The indexes are dropped by name rather than by AlterField, which on SQLite rebuilds
  the table and would drop the triggers on it (0002's, and the rollups').
- On PostgreSQL the row trigger of 0002 becomes a statement trigger over the rows the
  statement wrote (a transition table): the same rule and the same error for every way
  a value is written (an ORM save, a bulk update, an import), one join instead of one
  query per row. SQLite keeps its row triggers.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FK_INDEXES = [
    ("initiatives_value", "indicator_id"),
    ("initiatives_value", "region_id"),
    ("initiatives_value", "approved_by_id"),
    ("initiatives_value", "report_id"),
    ("initiatives_historicalvalue", "indicator_id"),
    ("initiatives_historicalvalue", "region_id"),
    ("initiatives_historicalvalue", "approved_by_id"),
    ("initiatives_historicalvalue", "report_id"),
    ("initiatives_historicalvalue", "import_batch_id"),
]


def _plain_indexes(schema_editor, table, column):
    """Names of the ordinary one-column indexes on the column (not unique, not partial ones we add)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return sorted(
        name
        for name, info in constraints.items()
        if info["index"]
        and not info["unique"]
        and not info["primary_key"]
        and info["columns"] == [column]
        and name not in ("value_approved_by_idx", "value_report_idx")
    )


def drop_fk_indexes(apps, schema_editor):
    for table, column in FK_INDEXES:
        for name in _plain_indexes(schema_editor, table, column):
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_fk_indexes(apps, schema_editor):
    for table, column in FK_INDEXES:
        if not _plain_indexes(schema_editor, table, column):
            name = schema_editor._create_index_name(table, [column])
            schema_editor.execute(
                f"CREATE INDEX {schema_editor.quote_name(name)} ON {schema_editor.quote_name(table)} ({column})"
            )


# The references a value holds, and what each points to: (column, table). Held on
# PostgreSQL by the triggers below instead of foreign keys (see the module's docstring).
REFERENCES = [
    ("indicator_id", "initiatives_indicator"),
    ("region_id", "regions_region"),
    ("import_batch_id", "initiatives_importbatch"),
    ("approved_by_id", "auth_user"),
]


def _statement_triggers():
    locks = "\n".join(
        f"      PERFORM 1 FROM {table} WHERE id IN (SELECT {column} FROM written_values) FOR KEY SHARE;"  # noqa: S608
        for column, table in REFERENCES
    )
    joins = "\n".join(
        f"        LEFT JOIN {table} t{i} ON t{i}.id = n.{column}" for i, (column, table) in enumerate(REFERENCES)
    )
    missing = " OR ".join(
        f"(n.{column} IS NOT NULL AND t{i}.id IS NULL)" for i, (column, table) in enumerate(REFERENCES)
    )
    parents = []
    for column, table in REFERENCES:
        parents += [
            f"""
            CREATE TRIGGER value_references_kept_{column.removesuffix("_id")}
            AFTER DELETE ON {table} REFERENCING OLD TABLE AS gone
            FOR EACH STATEMENT EXECUTE FUNCTION value_references_kept('{column}');
            """
        ]
    return [
        "DROP TRIGGER IF EXISTS value_region_exists_in_period ON initiatives_value",
        "DROP FUNCTION IF EXISTS value_region_exists_in_period()",
        *(
            f"ALTER TABLE initiatives_value DROP CONSTRAINT IF EXISTS {name}"
            for name in (
                "initiatives_value_indicator_id_a896c936_fk_initiativ",
                "initiatives_value_region_id_67182450_fk_regions_region_id",
                "initiatives_value_import_batch_id_185b6612_fk_initiativ",
                "initiatives_value_approved_by_id_8dc2626b_fk_auth_user_id",
            )
        ),
        f"""
        CREATE FUNCTION value_region_exists_in_period() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          bad record;
        BEGIN
          -- What a foreign key does, once per statement rather than once per row: the rows
          -- referred to are locked against deletion until commit, then every reference checked.
{locks}
          SELECT n.id, n.indicator_id, n.region_id, n.import_batch_id, n.approved_by_id INTO bad
          FROM written_values n
{joins}
          WHERE {missing}
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION
              'value_references_exist: value % refers to a KPI %, region %, import % or user % that does not exist',
              bad.id, bad.indicator_id, bad.region_id, bad.import_batch_id, bad.approved_by_id
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          -- 0002's rule: the region existed during some day of the period.
          SELECT n.region_id, n.period_start, n.period_end INTO bad
          FROM written_values n JOIN regions_region r ON r.id = n.region_id
          WHERE (r.valid_from IS NOT NULL AND r.valid_from >= n.period_end + interval '1 month')
             OR (r.valid_to IS NOT NULL AND r.valid_to < n.period_start)
          LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'value_region_exists_in_period: region % did not exist from % to the end of %',
              bad.region_id, bad.period_start, bad.period_end USING ERRCODE = 'check_violation';
          END IF;
          RETURN NULL;
        END $$;
        """,  # noqa: S608 - our own names
        # One trigger per event: a trigger with transition tables cannot name columns
        # (UPDATE OF ...), so every update is checked; a join over the rows written is cheap.
        """
        CREATE TRIGGER value_region_exists_in_period_insert
        AFTER INSERT ON initiatives_value REFERENCING NEW TABLE AS written_values
        FOR EACH STATEMENT EXECUTE FUNCTION value_region_exists_in_period();
        """,
        """
        CREATE TRIGGER value_region_exists_in_period_update
        AFTER UPDATE ON initiatives_value REFERENCING NEW TABLE AS written_values
        FOR EACH STATEMENT EXECUTE FUNCTION value_region_exists_in_period();
        """,
        # The other side of a foreign key: what values refer to cannot be deleted (Django
        # protects or sets NULL before it deletes; this holds for raw SQL too).
        """
        CREATE FUNCTION value_references_kept() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          referred boolean;
        BEGIN
          EXECUTE format('SELECT EXISTS (SELECT 1 FROM initiatives_value v JOIN gone g ON v.%I = g.id)', TG_ARGV[0])
            INTO referred;
          IF referred THEN
            RAISE EXCEPTION 'value_references_exist: % rows still referred to by values (%)', TG_TABLE_NAME, TG_ARGV[0]
              USING ERRCODE = 'foreign_key_violation';
          END IF;
          RETURN NULL;
        END $$;
        """,
        *parents,
    ]


def _row_trigger():
    """0002's row trigger and the foreign keys, to go back to."""
    first = importlib.import_module("initiatives.migrations.0002_value_region_exists_in_period")
    return [
        *(f"DROP TRIGGER IF EXISTS value_references_kept_{c.removesuffix('_id')} ON {t}" for c, t in REFERENCES),
        "DROP FUNCTION IF EXISTS value_references_kept()",
        "DROP TRIGGER IF EXISTS value_region_exists_in_period_insert ON initiatives_value",
        "DROP TRIGGER IF EXISTS value_region_exists_in_period_update ON initiatives_value",
        "DROP FUNCTION IF EXISTS value_region_exists_in_period()",
        *first.POSTGRES[:2],
        *(
            f"ALTER TABLE initiatives_value DROP CONSTRAINT IF EXISTS {name}, "
            f"ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {table} (id) DEFERRABLE INITIALLY DEFERRED"
            for name, (column, table) in zip(
                (
                    "initiatives_value_indicator_id_a896c936_fk_initiativ",
                    "initiatives_value_region_id_67182450_fk_regions_region_id",
                    "initiatives_value_import_batch_id_185b6612_fk_initiativ",
                    "initiatives_value_approved_by_id_8dc2626b_fk_auth_user_id",
                ),
                REFERENCES,
                strict=True,
            )
        ),
    ]


def _on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite keeps 0002's row triggers
        for sql in statements() if callable(statements) else statements:
            schema_editor.execute(sql, params=None)  # no params: `%` in PL/pgSQL stays literal

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0015_build_rollups"),
        ("regions", "0002_first_level_regions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="historicalvalue",
                    name="approved_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="approved by",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalvalue",
                    name="import_batch",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="initiatives.importbatch",
                        verbose_name="import",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalvalue",
                    name="indicator",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="initiatives.indicator",
                        verbose_name="KPI",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalvalue",
                    name="region",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="regions.region",
                        verbose_name="region",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalvalue",
                    name="report",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="initiatives.report",
                        verbose_name="report",
                    ),
                ),
                migrations.AlterField(
                    model_name="value",
                    name="approved_by",
                    field=models.ForeignKey(
                        db_constraint=False,
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="approved by",
                    ),
                ),
                migrations.AlterField(
                    model_name="value",
                    name="indicator",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="values",
                        to="initiatives.indicator",
                        verbose_name="KPI",
                    ),
                ),
                migrations.AlterField(
                    model_name="value",
                    name="region",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="values",
                        to="regions.region",
                        verbose_name="region",
                    ),
                ),
                migrations.AlterField(
                    model_name="value",
                    name="report",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="published_values",
                        to="initiatives.report",
                        verbose_name="report",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_fk_indexes, create_fk_indexes)],
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="value",
                    name="import_batch",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="values",
                        to="initiatives.importbatch",
                        verbose_name="import",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddIndex(
            model_name="value",
            index=models.Index(
                condition=models.Q(("approved_by__isnull", False)), fields=["approved_by"], name="value_approved_by_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="value",
            index=models.Index(
                condition=models.Q(("report__isnull", False)), fields=["report"], name="value_report_idx"
            ),
        ),
        migrations.RunPython(_on_postgres(_statement_triggers), _on_postgres(_row_trigger)),
    ]
