from django.db import migrations


def create(apps, schema_editor):
    cycle = apps.get_model("initiatives", "ReportingCycle")
    # Decree No. 200: reports are due by the 15th of the month after the period.
    for kind in ("monthly", "half_yearly"):
        cycle.objects.get_or_create(kind=kind, defaults={"due_day": 15, "months_after": 1})


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0007_reporting_cycles")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
