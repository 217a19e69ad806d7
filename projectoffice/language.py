"""`?lang=kk|ru|en` on any URL: the API's way to ask for a language without headers."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class QueryLanguageMiddleware:
    """After LocaleMiddleware: a valid `lang` parameter wins over Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.codes = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lang = request.GET.get("lang")
        if lang in self.codes:
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        if lang in self.codes:
            response.headers.setdefault("Content-Language", lang)
        return response
