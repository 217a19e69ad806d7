from django.db import migrations


def load(apps, schema_editor):
    # Which KPIs the forecasting centre forecasts beyond the offence counts: from the
    # catalogue file's new `forecast` column (re-synced as 0035 did for roles).
    from initiatives.reference_data import load_indicators

    load_indicators(apps.get_model("initiatives", "Indicator"), apps.get_model("agencies", "Agency"))


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0037_forecasts")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
