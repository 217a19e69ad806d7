"""The rollups of the values already there, computed once; the triggers keep them after."""

import importlib

from django.db import migrations

rollups = importlib.import_module("initiatives.migrations.0014_rollups")


def build(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    schema_editor.execute("DELETE FROM initiatives_rollup")
    schema_editor.execute(
        "INSERT INTO initiatives_rollup (indicator_id, ancestor_id, depth, level, first_month, last_month, total, n) "
        + rollups.fresh(vendor),
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0014_rollups")]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
