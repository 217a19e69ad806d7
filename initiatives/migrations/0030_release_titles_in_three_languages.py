from django.db import migrations, models

TITLES = (("title_kk", "title (Kazakh)"), ("title_ru", "title (Russian)"), ("title_en", "title (English)"))


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0029_value_bound_and_wider_release_figures")]

    operations = [
        migrations.AddField(
            model_name=model, name=name, field=models.CharField(blank=True, max_length=200, verbose_name=label)
        )
        for model in ("release", "historicalrelease")
        for name, label in TITLES
    ]
