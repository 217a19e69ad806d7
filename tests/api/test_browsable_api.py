"""The browsable API's "Log out": a form button posting to the site's log-out, not DRF's
link with an inline onclick (refused by our Content-Security-Policy), and in the page's language."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_browsable_api_logs_out_with_a_form_not_inline_script(client, office) -> None:
    client.force_login(office)
    page = client.get("/api/v1/", HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "onclick" not in page
    form = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None, page
    assert form.group(1) == reverse("logout")
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert 'name="next" value="/api/v1/"' in form.group(2)
    assert "Шығу" in form.group(2) and "Log out" not in page


def test_the_logout_button_leaves_the_person_logged_out(client, office) -> None:
    client.force_login(office)
    response = client.post(reverse("logout"), {"next": "/api/v1/"})
    assert response.status_code == 302 and response["Location"] == "/api/v1/"
    assert "_auth_user_id" not in client.session
