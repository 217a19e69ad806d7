from django.db import migrations


def load(apps, schema_editor):
    from initiatives.reference_data import load_indicators

    load_indicators(apps.get_model("initiatives", "Indicator"), apps.get_model("agencies", "Agency"))


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0002_value_region_exists_in_period"), ("agencies", "0003_bureau_of_national_statistics")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
