"""The site's URLs plus two views that fail, to see the 403 and 500 pages as a reader does."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from projectoffice.urls import handler500
from projectoffice.urls import urlpatterns as site_urls


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("something broke")


urlpatterns = [*site_urls, path("test/forbidden/", forbidden), path("test/broken/", broken)]

__all__ = ["handler500", "urlpatterns"]
