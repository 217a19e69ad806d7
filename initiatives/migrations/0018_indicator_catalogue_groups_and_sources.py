from django.db import migrations


def load(apps, schema_editor):
    # The catalogue file is the one source of the groups and sources: re-sync it as 0003 loaded it.
    from initiatives.reference_data import load_indicators

    load_indicators(apps.get_model("initiatives", "Indicator"), apps.get_model("agencies", "Agency"))


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0017_indicator_group_and_register_source")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
