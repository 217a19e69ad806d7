"""A Content-Security-Policy on every response: scripts only from the site, none inline,
no foreign hosts, never framed. (In a real browser: tests/browser/test_content_security_policy.py.)"""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict(response) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no host
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert all(source in ("'self'", "'none'", "'unsafe-inline'", "data:") for s in policy.values() for source in s)


def test_a_portal_page_an_admin_page_and_an_api_answer_carry_the_policy(client: Client, office, caller) -> None:
    assert_strict(client.get("/login/"))
    client.force_login(office)
    assert_strict(client.get("/"))
    assert_strict(client.get("/admin/"))
    assert_strict(client.get("/admin/initiatives/initiative/add/"))
    api = caller("token_kpi").get("/api/v1/regions/")
    assert api.status_code == 200
    assert_strict(api)
    assert_strict(Client().get("/api/v1/regions/"))  # an error answer too


def test_the_templates_hold_no_inline_script(client: Client, office) -> None:
    client.force_login(office)
    for path in ("/", "/login/", "/admin/"):
        html = client.get(path).content.decode()
        assert "<script>" not in html and "onchange=" not in html and "onclick=" not in html, path
