from django.db import migrations


def load(apps, schema_editor):
    # The citizen register's KPIs join the catalogue, and citizen_reports.rewarded is now
    # counted from the register, not typed: re-sync the catalogue file as 0018 did.
    from initiatives.reference_data import load_indicators

    load_indicators(apps.get_model("initiatives", "Indicator"), apps.get_model("agencies", "Agency"))


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0022_reopen_request")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
