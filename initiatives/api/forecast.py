"""The forecast endpoint's answers: a node's stored forecast as JSON, the CSV of a node or
of a tree, the list of runs; and the serializers that describe them in the schema.

Figures are written with two places whatever the KPI's (what a run stores), so the
coherence of the tree (children adding up to their parent) holds on the strings within
0.01 times the number of children.
"""

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers, status

from projectoffice.api_errors import APIError
from projectoffice.numbers import rounded_text

from ..forecasts.models import ForecastRun
from ..forecasts.selectors import NodeForecast
from ..models import Indicator
from ..periods import Month
from ..selectors.kpi_forecast import KpiForecast, made_at
from .summary import FORECAST_PLACES

CSV_HEADER = [
    "kpi", "kato", "origin", "run", "made_at", "period", "horizon",
    "value", "lower_80", "upper_80", "lower_95", "upper_95",
]  # fmt: skip
RANGES = ("value", "lower_80", "upper_80", "lower_95", "upper_95")


class NoForecast(APIError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "no_forecast"


def no_forecast(indicator: Indicator, kato: str | None) -> NoForecast:
    return NoForecast(
        _("No forecast of %(kpi)s for %(region)s among the finished runs asked for.")
        % {"kpi": indicator.code, "region": kato or _("Kazakhstan")},
        kpi=indicator.code,
        region=kato,
    )


def _text(value: Any) -> str | None:
    return rounded_text(value, FORECAST_PLACES)


def _month(point: Any) -> dict[str, Any]:
    return {
        "period": str(Month.from_date(point.period)),
        "horizon": point.horizon,
        **{name: _text(getattr(point, name)) for name in RANGES},
        "benchmark": _text(point.benchmark),
    }


def _moment(moment: datetime.datetime) -> str:
    """A moment written as the API's serializers write theirs (in the site's time zone)."""
    return str(_MOMENT.to_representation(moment))


_MOMENT = serializers.DateTimeField()


def _share(number: float | None) -> float | None:
    return None if number is None else round(number, 4)


def forecast_as_dict(found: KpiForecast) -> dict[str, Any]:
    node, run = found.node, found.node.run
    indicator, end = run.indicator, node.year_end
    year_end = None
    if end is not None:
        year_end = {
            "period": str(end.year),
            "months_left": end.months_left,
            "actual_to_origin": _text(end.actual_to_origin),
            **{name: _text(getattr(end, name)) for name in RANGES},
            "benchmark": _text(end.benchmark),
            "target": _text(found.target),
            "probability_meets_target": found.probability,
        }
    return {
        "kpi": {
            "code": indicator.code,
            "name": indicator.name,
            "unit": indicator.unit,
            "direction": indicator.direction,
        },
        "region": {"kato": node.region.kato if node.region else None, "name": str(node.region or _("Kazakhstan"))},
        "run": run.pk,
        "origin": str(Month.from_date(run.origin)),
        "made_at": _moment(made_at(run)),
        "data_as_of": _moment(run.as_of or made_at(run)),
        "method": run.method,
        "months": [_month(p) for p in node.months],
        "year_end": year_end,
        "accuracy": [
            {
                "horizon": a.horizon,
                "relative_mae": _share(a.relative_mae),
                "mase": _share(a.mase),
                "bias": _share(a.bias),
                "coverage_80": _share(a.coverage_80),
                "coverage_95": _share(a.coverage_95),
                "origins": a.origins,
            }
            for a in found.accuracy
        ],
    }


def forecast_csv_rows(nodes: Iterable[NodeForecast]) -> Iterator[dict[str, Any]]:
    """A row per node and month (the nation's KATO written KZ, as the summary's CSV does)."""
    for node in nodes:
        run = node.run
        common = {
            "kpi": run.indicator.code,
            "kato": node.region.kato if node.region else "KZ",
            "origin": str(Month.from_date(run.origin)),
            "run": run.pk,
            "made_at": _moment(made_at(run)),
        }
        for point in node.months:
            month = _month(point)
            yield {**common, **{column: month.get(column) for column in CSV_HEADER[5:]}}


def run_as_dict(run: ForecastRun) -> dict[str, Any]:
    return {
        "run": run.pk,
        "origin": str(Month.from_date(run.origin)),
        "status": run.status,
        "made_at": _moment(made_at(run)),
        "finished_at": _moment(run.finished_at) if run.finished_at else None,
        # A run still waiting for a worker reads the values of the moment it starts.
        "data_as_of": _moment(run.as_of) if run.as_of else None,
        "trigger": run.trigger,
        "method": run.method,
    }


# --- the schema ---------------------------------------------------------------------------

TWO_PLACES = "a decimal string with 2 places, whatever the KPI's places"


def _figure(help_text: str = TWO_PLACES, **kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, help_text=help_text, **kwargs)


class ForecastKpiSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.ChoiceField(choices=["lower", "higher"])


class ForecastRegionSerializer(serializers.Serializer[Any]):
    kato = serializers.CharField(allow_null=True, help_text="null: the nation")
    name = serializers.CharField()


class ForecastMonthSerializer(serializers.Serializer[Any]):
    period = serializers.CharField(help_text="YYYY-MM: the origin plus `horizon` months")
    horizon = serializers.IntegerField(min_value=1, max_value=12)
    value = _figure()
    lower_80 = _figure("the 80% range's lower end (2 places)")
    upper_80 = _figure("the 80% range's upper end (2 places)")
    lower_95 = _figure("the 95% range's lower end (2 places)")
    upper_95 = _figure("the 95% range's upper end (2 places)")
    benchmark = _figure("seasonal naive (the same month a year before), the benchmark the forecast is scored against")


class ForecastYearEndSerializer(serializers.Serializer[Any]):
    period = serializers.CharField(help_text="the calendar year of the month after the origin")
    months_left = serializers.IntegerField(help_text="months of the year after the origin")
    actual_to_origin = _figure("the year's figure to the origin (2 places)")
    value = _figure("`actual_to_origin` plus the forecasts to December (2 places)")
    lower_80 = _figure("from the backtest's errors of the same year-end total, not the months' ranges")
    upper_80 = _figure()
    lower_95 = _figure()
    upper_95 = _figure()
    benchmark = _figure("the same year-end from seasonal naive")
    target = _figure("the node's target for the year; null without one", allow_null=True)
    probability_meets_target = serializers.FloatField(
        allow_null=True,
        help_text="P(year-end at most the target) where lower is better, P(at least) where higher is; "
        "null without a target",
    )


class ForecastAccuracySerializer(serializers.Serializer[Any]):
    horizon = serializers.IntegerField(min_value=1, max_value=12)
    relative_mae = serializers.FloatField(
        allow_null=True, help_text="MAE / seasonal naive's MAE on the same months; null where that is 0"
    )
    mase = serializers.FloatField(allow_null=True)
    bias = serializers.FloatField(allow_null=True, help_text="mean of actual minus forecast")
    coverage_80 = serializers.FloatField(allow_null=True, help_text="share of actuals inside the 80% range")
    coverage_95 = serializers.FloatField(allow_null=True)
    origins = serializers.IntegerField(
        help_text="backtest origins counted: those no later than the run's origin minus the horizon"
    )


class ForecastSerializer(serializers.Serializer[Any]):
    kpi = ForecastKpiSerializer()
    region = ForecastRegionSerializer()
    run = serializers.IntegerField(help_text="the run's id")
    origin = serializers.CharField(help_text="YYYY-MM: the last month whose values the run read")
    made_at = serializers.DateTimeField(help_text="when the run started")
    data_as_of = serializers.DateTimeField(help_text="the moment whose committed values the run read")
    method = serializers.CharField(help_text="the reconciliation the run chose on its backtest")
    months = ForecastMonthSerializer(many=True, help_text="exactly 12: origin+1 ... origin+12")
    year_end = ForecastYearEndSerializer(allow_null=True)
    accuracy = ForecastAccuracySerializer(many=True, help_text="12, horizons 1-12, at this node's level")


class ForecastRunSerializer(serializers.Serializer[Any]):
    run = serializers.IntegerField()
    origin = serializers.CharField(help_text="YYYY-MM")
    status = serializers.ChoiceField(choices=["waiting", "running", "done", "failed"])
    made_at = serializers.DateTimeField(help_text="when the run started (asked, while it waits)")
    finished_at = serializers.DateTimeField(allow_null=True)
    data_as_of = serializers.DateTimeField(allow_null=True, help_text="null while the run waits for a worker")
    trigger = serializers.ChoiceField(choices=["command", "import", "schedule", "forecast"])
    method = serializers.CharField()


class WholeNumberField(serializers.IntegerField):
    """An integer parameter refused as the API's other integers are: `not_a_whole_number`."""

    def to_internal_value(self, data: Any) -> int:
        text = str(data).strip()
        if not text.lstrip("-").isdigit():
            raise serializers.ValidationError(
                _("%(value)r is not a whole number") % {"value": text[:40]}, code="not_a_whole_number"
            )
        return int(super().to_internal_value(text))


class ForecastQuerySerializer(serializers.Serializer[Any]):
    region = serializers.CharField(required=False, help_text="KATO code; national when absent.")
    origin = serializers.CharField(required=False, help_text="YYYY-MM, a month that is over; the latest when absent.")
    run = WholeNumberField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="a run's id; the latest of the origin when absent."
    )
    tree = serializers.BooleanField(default=False, help_text="with format=csv: the node and every node below it.")
