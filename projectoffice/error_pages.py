"""The page of an unexpected error (500), ours and in the reader's language.

The 403 and 404 pages are Django's handlers with our templates (`templates/403.html`,
`404.html`), which have the request and the site's navigation. This one renders
`500.html` with no request and no context processors: whatever broke (the database, a
context processor) is not touched again, and if even that fails, a line of plain text.
"""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader

logger = logging.getLogger(__name__)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        body = loader.get_template("500.html").render()
    except Exception:
        logger.exception("the 500 page itself failed")
        return HttpResponseServerError("Server error (500)", content_type="text/plain; charset=utf-8")
    return HttpResponseServerError(body)
