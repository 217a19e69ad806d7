from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from .api import router
from .api_schema import CachedSchemaView
from .health import healthz

urlpatterns = [
    path("", include("initiatives.portal.urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
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
]
