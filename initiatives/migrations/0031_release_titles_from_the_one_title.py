"""A release's one title goes to the language it is written in (the others fall back to
it, as before); its history rows alike."""

from django.db import migrations

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def language_of(title: str) -> str:
    if KAZAKH_LETTERS & set(title):
        return "kk"
    if any("\u0400" <= ch <= "\u04ff" for ch in title):
        return "ru"
    return "en"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name in ("Release", "HistoricalRelease"):
        model = apps.get_model("initiatives", name)
        for row in model.objects.exclude(title="").only("pk", "title"):
            model.objects.filter(pk=row.pk).update(**{f"title_{language_of(row.title)}": row.title})


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name in ("Release", "HistoricalRelease"):
        model = apps.get_model("initiatives", name)
        for row in model.objects.only("pk", "title_kk", "title_ru", "title_en"):
            model.objects.filter(pk=row.pk).update(title=row.title_ru or row.title_kk or row.title_en)


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0030_release_titles_in_three_languages")]

    operations = [migrations.RunPython(forwards, backwards)]
