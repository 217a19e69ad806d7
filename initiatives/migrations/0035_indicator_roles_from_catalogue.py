from django.db import migrations


def load(apps, schema_editor):
    # Which KPI is the headline, the coordinator's cards, population, the villages'
    # outcome, the alcohol-free count and the citizens' reports: from the catalogue
    # file's new `role` column (re-synced as 0018 and 0023 did).
    from initiatives.reference_data import load_indicators

    load_indicators(apps.get_model("initiatives", "Indicator"), apps.get_model("agencies", "Agency"))


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0034_indicator_role")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
