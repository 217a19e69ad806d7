"""List filters and small helpers shared by the initiatives admin pages."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from regions.models import Region


class TopRegionFilter(admin.SimpleListFilter):
    """A first-level region and everything below it. Lists the 20 first-level units
    rather than every distinct region in a large table."""

    title = _("region (with all below it)")
    parameter_name = "in_region"
    region_field = "region"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        return [(r.kato, str(r)) for r in Region.objects.top_level()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:  # type: ignore[type-arg]
        kato = self.value()
        if not kato:
            return queryset
        return queryset.filter(**{f"{self.region_field}__kato__startswith": kato[:2]})


class YearFilter(admin.SimpleListFilter):
    """Rows whose period (or date) starts in a year: the years that have rows, newest first."""

    title = _("year")
    parameter_name = "year"
    date_field = "period_start"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:  # type: ignore[type-arg]
        years = model_admin.get_queryset(request).order_by().dates(self.date_field, "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:  # type: ignore[type-arg]
        year = self.value()
        if not year or not year.isdigit():
            return queryset
        return queryset.filter(**{f"{self.date_field}__year": int(year)})


def say_refused(
    model_admin: "admin.ModelAdmin[Any]", request: HttpRequest, obj: object, exc: ValidationError | PermissionDenied
) -> None:
    """An action's service refused one object: say which and why, and go on with the rest."""
    reasons = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    model_admin.message_user(request, f"{obj}: {' '.join(reasons)}", messages.ERROR)
