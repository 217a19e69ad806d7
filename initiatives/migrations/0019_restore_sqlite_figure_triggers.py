"""SQLite drops a table's triggers when a migration rebuilds the table (0017 rebuilt the
KPIs' table, taking the triggers that bump the catalogue's version counter with it). This
puts back whichever of 0014's triggers are missing; PostgreSQL keeps them and is left
alone. tests/initiatives/test_rollup_tables.py checks that every one of them is there."""

import importlib

from django.db import migrations

rollups = importlib.import_module("initiatives.migrations.0014_rollups")


def restore(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in rollups.SQLITE:
        if "CREATE TRIGGER " in sql:
            schema_editor.execute(sql.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1), params=None)


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0018_indicator_catalogue_groups_and_sources")]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop)]
