from django.db import migrations


def load(apps, schema_editor):
    from agencies.reference_data import load_agencies

    load_agencies(apps.get_model("agencies", "Agency"))


class Migration(migrations.Migration):
    """The Bureau publishes the population figures that rates per 10,000 rest on."""

    dependencies = [("agencies", "0002_agencies")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
