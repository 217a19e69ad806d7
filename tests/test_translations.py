"""Kazakh and Russian everywhere: complete catalogues, and no template text left unmarked."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted(ROOT.glob("locale/*/LC_MESSAGES/django.po"))
TEMPLATES = sorted([*ROOT.glob("templates/**/*.html"), *ROOT.glob("templates/**/*.txt")])


def test_there_is_a_catalogue_for_kazakh_and_russian() -> None:
    assert {p.parts[-3] for p in CATALOGUES} == {"kk", "ru"}


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext's msgfmt")
@pytest.mark.parametrize(
    "catalogue",
    [*CATALOGUES, *sorted(ROOT.glob("locale_django/*/LC_MESSAGES/django.po"))],
    ids=lambda p: f"{p.parts[-4]}/{p.parts[-3]}",
)
def test_every_message_is_translated_and_none_is_fuzzy(catalogue: Path) -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr


def test_the_catalogues_cover_every_marked_string(tmp_path: Path) -> None:
    """makemessages on the current code adds nothing the committed catalogues lack."""
    if shutil.which("xgettext") is None:
        pytest.skip("needs gettext's xgettext")
    known = {m for p in CATALOGUES for m in _msgids(p.read_text(encoding="utf-8"))}
    fresh = subprocess.run(
        ["xgettext", "--language=Python", "--keyword=_", "--keyword=gettext_lazy", "--keyword=ngettext:1,2",
         "--from-code=UTF-8", "-o", "-", *map(str, _python_sources())],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    missing = _msgids(fresh.stdout) - known - {""}
    assert not missing, f"run `manage.py makemessages -l kk -l ru` and translate: {sorted(missing)[:10]}"


def _python_sources() -> list[Path]:
    skip = {".venv", "tests", "bench", "migrations", "var"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


def _msgids(text: str) -> set[str]:
    ids = set()
    for block in re.findall(r'^msgid ((?:".*"\n)+)', text, flags=re.M):
        ids.add("".join(re.findall(r'"(.*)"', block)))
    return ids


# What a template may hold outside {% translate %} / {% blocktranslate %}: tags, variables,
# comments, markup, entities and punctuation, but no words. Template syntax goes first, as
# it may sit inside an HTML tag (`<td{% if a > b %} class="x"{% endif %}>`).
_TEMPLATE_SYNTAX = re.compile(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}|{%.*?%}|{{.*?}}|{#.*?#}", flags=re.S)
_MARKUP = re.compile(r"<script.*?</script>|<style.*?</style>|<!--.*?-->|<[^>]+>|&\w+;", flags=re.S)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_no_user_visible_text_unmarked(template: Path) -> None:
    leftover = _MARKUP.sub(" ", _TEMPLATE_SYNTAX.sub(" ", template.read_text(encoding="utf-8")))
    words = re.findall(r"[^\W\d_]{2,}", leftover)
    assert not words, f"unmarked text in {template.name}: {words[:10]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "site_name"),
    [
        ("kk", "«Заң және Тәртіп» Жобалық кеңсесі"),
        ("ru", "Проектный офис «Закон и Порядок»"),
        ("en", "Law and Order project office"),
    ],
)
def test_the_admin_speaks_the_language_asked_for(client, language: str, site_name: str) -> None:
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert site_name in page


@pytest.mark.django_db
def test_without_a_preference_the_site_speaks_russian(client, settings) -> None:
    settings.LANGUAGE_CODE = "ru"
    page = client.get("/admin/login/").content.decode()
    assert "Проектный офис «Закон и Порядок»" in page
