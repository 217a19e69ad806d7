"""The admin's region page with what initiatives keeps of a region: its population, the
dated values of the KPI whose role is population, shown with its date and linked to the
one place it is edited (the KPI values). `regions` knows no other app, so initiatives
extends its admin here."""

from django.contrib import admin
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regions.admin import RegionAdmin as RegionBaseAdmin
from regions.models import Region

from ..models import KpiRole
from ..selectors.kpi_roles import kpi_of_role
from ..selectors.population import population_counted_on, regions_with_population

admin.site.unregister(Region)


@admin.register(Region)
class RegionAdmin(RegionBaseAdmin):
    readonly_fields = [*RegionBaseAdmin.readonly_fields, "population"]
    fieldsets = [
        *RegionBaseAdmin.fieldsets[:2],
        (gettext_lazy("Population"), {"fields": ["population"]}),
        *RegionBaseAdmin.fieldsets[2:],
    ]

    @admin.display(description=gettext_lazy("population"))
    def population(self, region: Region) -> SafeString:
        kpi = kpi_of_role(KpiRole.POPULATION)
        kept_there = _("Population is kept as dated values of the KPI whose role is population, in KPI values.")
        if region.pk is None or kpi is None:
            return format_html("{}", kept_there)
        found = regions_with_population(Region.objects.filter(pk=region.pk)).first()
        people, period_end = getattr(found, "population", None), getattr(found, "population_period_end", None)
        now = (
            _("%(population)s on %(date)s")
            % {
                "population": number_format(people, 0, force_grouping=True),
                "date": date_format(population_counted_on(period_end), "SHORT_DATE_FORMAT"),
            }
            if people is not None and period_end is not None
            else _("none recorded")
        )
        url = (
            reverse("admin:initiatives_value_changelist")
            + "?"
            + urlencode({"indicator__id__exact": str(kpi.pk), "q": region.kato})
        )
        return format_html('{} {} <a href="{}">{}</a>', now, kept_there, url, _("This region's population values"))
