from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0031_release_titles_from_the_one_title")]

    operations = [
        migrations.RemoveField(model_name="release", name="title"),
        migrations.RemoveField(model_name="historicalrelease", name="title"),
    ]
