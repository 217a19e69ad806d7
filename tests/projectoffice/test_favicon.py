"""Browsers ask for /favicon.ico on every page: it answers, and the pages name their icon."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].startswith("/static/favicon") and response["Location"].endswith(".ico")


def test_the_portal_and_the_admin_pages_name_their_icon(client: Client) -> None:
    for url in ("/login/", "/admin/login/"):
        page = client.get(url).content.decode()
        assert 'rel="icon"' in page and "favicon" in page, url
