from django.db import migrations


def load(apps, schema_editor):
    from regions.reference_data import load_first_level_regions

    load_first_level_regions(apps.get_model("regions", "Region"))


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
