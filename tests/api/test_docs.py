"""The schema and its documentation: built once per process, served from our own origin."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from projectoffice.api_schema import CachedSchemaView

pytestmark = pytest.mark.django_db


def test_the_schema_is_built_once_per_process_and_language(caller, monkeypatch) -> None:
    CachedSchemaView._built.clear()
    built: list[str] = []
    generate = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        built.append("once")
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    client = caller("anonymous")
    first = client.get("/api/schema/?format=json")
    second = client.get("/api/schema/?format=json")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.content == second.content
    assert len(built) == 1
    yaml = client.get("/api/schema/")  # another rendering of the same schema
    assert yaml.status_code == 200 and len(built) == 1
    kazakh = client.get("/api/schema/?format=json&lang=kk")
    client.get("/api/schema/?format=json&lang=kk")
    assert len(built) == 2  # the schema's text is translated: one per language
    assert kazakh.json()["paths"] == first.json()["paths"] or kazakh.content != first.content


def test_the_docs_load_nothing_from_another_origin_and_run_no_inline_script(caller) -> None:
    client = caller("anonymous")
    html = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"
    assert "<style" not in html and "style=" not in html
    [script] = [s for s in sources if "script" in s and "static" not in s]
    start = client.get(script.replace("&amp;", "&"))
    assert start.status_code == 200 and "SwaggerUIBundle" in start.content.decode()


def test_redoc_is_gone_with_its_fonts_from_google(caller) -> None:
    assert caller("anonymous").get("/api/redoc/").status_code == 404
