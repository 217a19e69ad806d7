"""Property-based calls over the OpenAPI schema (schemathesis): whatever a client sends
to a read endpoint, the server answers without a server error.

Bounded so the suite stays quick: a few examples per operation, reads only (the import
upload has tests of its own).
"""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from agencies.models import Agency
from agencies.tokens import agency_token_issue

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application()).include(method="GET")


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Calls go straight into the WSGI handler, whose request signals would close the
    test's database connection (and its transaction) between requests; Django's own
    test client disconnects them the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_read_endpoint_answers_with_a_server_error(case) -> None:
    _, key = agency_token_issue(
        agency=Agency.objects.get(code="kpssu"), name="fuzz", scopes=["kpi:read"], expires_days=1, user=None
    )
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=[not_a_server_error])
