from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView

from .api import NoSuchEndpoint, router
from .api_schema import CachedSchemaView
from .health import healthz

# The side menu takes a quarter of a laptop's screen from every list; the home page and
# the breadcrumbs lead everywhere it does.
admin.site.enable_nav_sidebar = False


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page says: send them to the static file."""
    return HttpResponseRedirect(static("favicon.ico"))


# Our own page for an unexpected error (403 and 404 are Django's handlers with our templates).
handler500 = "projectoffice.error_pages.server_error"

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("", include("initiatives.portal.urls")),
    # Log-in, log-out and the language switch, for the whole site.
    path("", include("agencies.urls")),
    path("citizens/", include("citizens.portal.urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    # Log-in for people who use the API from a browser (coordinators are not admin staff).
    path("api/auth/", include("rest_framework.urls")),
    path("api/schema/", CachedSchemaView.as_view(), name="api-schema"),
    # Swagger UI from our own static files, its start-up script a file of its own (`?script`),
    # so a Content-Security-Policy without foreign hosts or inline script lets it run.
    # (ReDoc was dropped: it needs fonts from Google and inline styles.)
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    # Last: any other path under /api/ ending in a slash (one without is first sent to
    # the slashed one) answers the API's JSON 404, not the site's HTML page.
    re_path(r"^api/(?:.*/)?$", NoSuchEndpoint.as_view()),
]
