"""Values are at most 999,999,999,999.9999 (initiatives/value_bound.py), and the columns
a release freezes its figures in are wide enough for any sum, rate or change of such
values, so publishing never fails on a numeric overflow.

SQLite rebuilds a table to change a column, and the rebuilt table has lost the triggers
that keep release figures frozen (0026): they are put back. PostgreSQL widens a numeric
column in place and keeps them."""

import importlib

from django.db import migrations, models

import initiatives.value_bound

frozen = importlib.import_module("initiatives.migrations.0026_frozen_release_figures")


def restore_frozen_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in frozen.SQLITE:
        schema_editor.execute(sql.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0028_reporting_duty_of_todays_reporters"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalreportline",
            name="value",
            field=models.DecimalField(
                decimal_places=4,
                max_digits=20,
                validators=[initiatives.value_bound.validate_value_bound],
                verbose_name="value",
            ),
        ),
        migrations.AlterField(
            model_name="historicalvalue",
            name="value",
            field=models.DecimalField(
                decimal_places=4,
                max_digits=20,
                validators=[initiatives.value_bound.validate_value_bound],
                verbose_name="value",
            ),
        ),
        migrations.AlterField(
            model_name="publicfigure",
            name="change_percent",
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="publicfigure",
            name="previous",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="publicfigure",
            name="rate_per_10k",
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="publicfigure",
            name="target",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="publicfigure",
            name="value",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="releasefigure",
            name="change_percent",
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="releasefigure",
            name="previous",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="releasefigure",
            name="rate_per_10k",
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="releasefigure",
            name="target",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="releasefigure",
            name="value",
            field=models.DecimalField(blank=True, decimal_places=4, max_digits=32, null=True),
        ),
        migrations.AlterField(
            model_name="reportline",
            name="value",
            field=models.DecimalField(
                decimal_places=4,
                max_digits=20,
                validators=[initiatives.value_bound.validate_value_bound],
                verbose_name="value",
            ),
        ),
        migrations.AlterField(
            model_name="value",
            name="value",
            field=models.DecimalField(
                decimal_places=4,
                max_digits=20,
                validators=[initiatives.value_bound.validate_value_bound],
                verbose_name="value",
            ),
        ),
        migrations.RunPython(restore_frozen_triggers, migrations.RunPython.noop),
    ]
