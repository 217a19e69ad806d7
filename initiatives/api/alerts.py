"""`/api/v1/alerts/`: early warning's alerts, as the portal's page lists them, for other
agencies' systems. Read as the KPI values are (`kpi:read` for a token; the office all, a
coordinator their own regions), filtered as they are (`kpi`, `region` with everything
below it) and by `period`; newest first. The office's review note stays in the tracker:
the API says whether an alert was reviewed, never what was written."""

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from agencies.api_permissions import scoped
from agencies.models import TokenScope
from projectoffice.api_csv import CSVList
from projectoffice.api_filters import FilterBackend
from projectoffice.api_parameters import DeclaredParametersOnly
from projectoffice.api_permissions import MethodBeforeAccess
from projectoffice.numbers import rounded_text

from ..alerts.selectors import AlertFilterSet, alerts_visible_to
from ..models import Alert
from .examples import EXAMPLE_KPI

# The columns, in order: JSON keys and the CSV's header.
ALERT_COLUMNS = [
    "id",
    "kpi",
    "kato",
    "region_name",
    "period",
    "kind",
    "adverse",
    "observed",
    "expected",
    "lower",
    "upper",
    "p_value",
    "persists",
    "reviewed",
    "withdrawn",
    "raised_at",
]

ALERT_EXAMPLE = {
    "id": 17,
    "kpi": EXAMPLE_KPI,
    "kato": "710000000",
    "region_name": "Astana",
    "period": "2026-11",
    "kind": "single",
    "adverse": "rise",
    "observed": "412",
    "expected": "300.0",
    "lower": "241.5",
    "upper": "368.0",
    "p_value": 0.00042,
    "persists": False,
    "reviewed": False,
    "withdrawn": False,
    "raised_at": "2026-12-01T08:00:00+05:00",
}


class AlertSerializer(serializers.ModelSerializer[Alert]):
    kpi = serializers.CharField(source="indicator.code", read_only=True, help_text="The KPI's code.")
    kato = serializers.CharField(source="region.kato", read_only=True, help_text="The region's KATO code.")
    region_name = serializers.CharField(
        source="region.name", read_only=True, help_text="The region's name in the request's language."
    )
    period = serializers.SerializerMethodField(help_text="The month, YYYY-MM.")
    observed = serializers.SerializerMethodField(help_text="The count observed, a whole number as a string.")
    expected = serializers.SerializerMethodField(help_text="What the series' own past made expected (1 place).")
    lower = serializers.SerializerMethodField(help_text="The band's lower edge at the alert's tail (1 place).")
    upper = serializers.SerializerMethodField(help_text="The band's upper edge at the alert's tail (1 place).")
    reviewed = serializers.BooleanField(read_only=True, help_text="Whether the project office has reviewed it.")

    class Meta:
        model = Alert
        fields = ALERT_COLUMNS
        extra_kwargs = {
            "kind": {"help_text": "single: one unexpected month; persistent: a move that persists."},
            "adverse": {"help_text": "The KPI's adverse direction the count moved in: rise or fall."},
            "p_value": {"help_text": "The probability of a count at least this adverse under what was expected."},
            "persists": {"help_text": "The month before moved beyond the persistence threshold too."},
            "withdrawn": {"help_text": "A later correction of the figures took the move away."},
        }

    def get_period(self, obj: Alert) -> str:
        return f"{obj.period:%Y-%m}"

    def get_observed(self, obj: Alert) -> str:
        return rounded_text(obj.observed, 0) or ""

    def get_expected(self, obj: Alert) -> str:
        return rounded_text(obj.expected, 1) or ""

    def get_lower(self, obj: Alert) -> str:
        return rounded_text(obj.lower, 1) or ""

    def get_upper(self, obj: Alert) -> str:
        return rounded_text(obj.upper, 1) or ""


@extend_schema_view(
    list=extend_schema(
        summary="Early-warning alerts",
        description=(
            "Months in which a monthly count KPI moved, in a region or district, beyond what the series' own past "
            "made expected, on its adverse side (docs/early-warning.md): the count `observed`, the `expected` "
            "value and the band (`lower`, `upper`) at the alert's tail, the `p_value`. `kind` single: one "
            "unexpected month; persistent: a move that persists. A withdrawn alert (a later correction took the "
            "move away) stays in the list, flagged. Newest month first, then the latest raised. Filters: "
            "`period` (YYYY-MM, or any period such as 2026-Q3 or 2026: the alerts of its months), `kpi` (a "
            "code), `region` (KATO: that region and everything below it); an unknown KPI or region, or a period "
            "that cannot be read, is a 400 naming the filter. The project office sees every alert, a "
            "coordinator those of their own regions, a token with `kpi:read` every alert. `?format=csv` writes "
            "every matching alert as CSV with the same columns."
        ),
        examples=[
            OpenApiExample(
                "One page",
                value={"count": 1, "next": None, "previous": None, "results": [ALERT_EXAMPLE]},
                response_only=True,
            )
        ],
    ),
)
class AlertViewSet(
    MethodBeforeAccess,
    DeclaredParametersOnly,
    CSVList,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[Alert],
):
    serializer_class = AlertSerializer
    permission_classes = [scoped(TokenScope.KPI_READ)]
    filterset_class = AlertFilterSet
    filter_backends = [FilterBackend]  # no search, no other order than newest first
    csv_name = "alerts"

    def get_queryset(self) -> QuerySet[Alert]:
        return alerts_visible_to(self.request.user)
