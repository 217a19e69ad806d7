"""Population is no longer a region's: initiatives 0036 (which runs before this) moved each
region's figure into a value of the population KPI."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("regions", "0002_first_level_regions")]

    operations = [
        migrations.RemoveField(model_name="historicalregion", name="population"),
        migrations.RemoveField(model_name="historicalregion", name="population_as_of"),
        migrations.RemoveField(model_name="historicalregion", name="population_source"),
        migrations.RemoveField(model_name="region", name="population"),
        migrations.RemoveField(model_name="region", name="population_as_of"),
        migrations.RemoveField(model_name="region", name="population_source"),
    ]
