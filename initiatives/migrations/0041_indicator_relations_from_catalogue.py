from django.db import migrations


def load(apps, schema_editor):
    # Which KPIs add up to which (form 1-M's structure): from the catalogue file's new
    # `part_of` and `parts_add_up` columns, read by the import's warnings and the public
    # page's disclosure control instead of a list written in the code.
    from initiatives.reference_data import load_indicators

    load_indicators(apps.get_model("initiatives", "Indicator"), apps.get_model("agencies", "Agency"))


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0040_alerts_relations_warnings")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
