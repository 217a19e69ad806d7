"""Pages of the whole site, not of one app: the language switch (log-in and log-out are
Django's own views, in `agencies/urls.py`). Here because the language chosen is kept on
the person's profile, for their e-mails."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from .services import profile_language_set


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembered for the person: their e-mails speak it too."""
    response = django_set_language(request)
    profile_language_set(user=request.user, language=request.POST.get("language", ""))
    return response
