"""The language a person's browser asks for, remembered for their e-mails.

E-mails are written in `Profile.language` (`agencies.models.person_language`). A person
who never uses the language switcher would otherwise get the site's default (Russian)
whatever their browser asked for, so on each visit of a logged-in person the best of
their browser's Accept-Language that the site speaks is kept in their profile, unless
they have chosen a language with the switcher. The session notes what was kept, so a
visit costs a write only when the browser asks for something new.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from .services import profile_language_remember

SESSION_KEY = "browser_language"


def browser_language(request: HttpRequest) -> str | None:
    """The site's language the browser prefers most (by Accept-Language), if any."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            continue
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class BrowserLanguageMiddleware:
    """After authentication: keeps a logged-in person's browser language in their profile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        asked = browser_language(request)
        if asked is not None and request.session.get(SESSION_KEY) != asked and request.user.is_authenticated:
            profile_language_remember(user=request.user, language=asked)
            request.session[SESSION_KEY] = asked
        return self.get_response(request)
