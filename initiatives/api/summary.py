"""The summary endpoint's response: the engine's `Summary` as JSON.

The engine computes figures; how they are written for a caller (exact decimal strings,
which keys a comparison adds) is the API's business, so it lives here.
"""

from typing import Any

from projectoffice.api_csv import CSVRenderer, csv_lines
from projectoffice.numbers import rounded_text

from ..engine.aggregation import Figure
from ..engine.summary import RegionFigures, Summary
from ..selectors.kpi_forecast import SummaryForecast, summary_status

# A forecast's figures are stored to two places, whatever the KPI's: the API writes them so.
FORECAST_PLACES = 2


def _figure_dict(f: Figure | None, places: int) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "value": rounded_text(f.value, places),
        "complete": f.complete,
        "method": f.method,
        "missing": [g.as_dict() for g in f.missing],
        "partial_value": rounded_text(f.partial_value, places),
    }


def _region_dict(r: RegionFigures, places: int, compare: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "region": {"kato": r.kato, "name": r.name},
        **(_figure_dict(r.value, places) or {}),
    }
    if compare:
        out["previous"] = _figure_dict(r.previous, places)
        out["change_percent"] = None if r.change_percent is None else str(r.change_percent)
        out["change_note"] = r.change_note
    if r.target is not None:
        out["target"] = rounded_text(r.target, places)
        out["status"] = r.status
    if r.rate_per_10k is not None:
        out["rate_per_10k"] = _figure_dict(r.rate_per_10k, 1)
        out["population"] = rounded_text(r.population.value, 0) if r.population else None
    return out


def summary_as_dict(summary: Summary, forecast: SummaryForecast | None, *, compare: bool = True) -> dict[str, Any]:
    places = summary.indicator.decimal_places
    ind = summary.indicator
    status, status_method = summary_status(summary, forecast)
    out = {
        "kpi": {"code": ind.code, "name": ind.name, "unit": ind.unit, "direction": ind.direction},
        "period": str(summary.span),
        "compare_period": str(summary.previous_span) if compare else None,
        "as_of": summary.as_of.isoformat() if summary.as_of is not None else None,
        **_region_dict(summary.own, places, compare),
        "target": None,
        "status": status,
        "status_method": status_method,
        "estimate": None,
        "forecast": None,
        "breakdown": [_region_dict(r, places, compare) for r in summary.breakdown],
    }
    if summary.target is not None:
        out["target"] = {
            "year": summary.target.year,
            "value": rounded_text(summary.target.target_value, places),
            "baseline": rounded_text(summary.target.baseline_value, places),
            "baseline_year": summary.target.baseline_year,
        }
    if summary.estimate is not None:
        out["estimate"] = {
            "year": summary.span.end.year,
            "value": rounded_text(summary.estimate.value, places),
            "method": summary.estimate.method,
            "is_estimate": summary.estimate.is_estimate,
        }
    if forecast is not None:
        end = forecast.year_end
        out["forecast"] = {
            "run": forecast.run.pk,
            "year_end": rounded_text(end.value, FORECAST_PLACES),
            "lower_80": rounded_text(end.lower_80, FORECAST_PLACES),
            "upper_80": rounded_text(end.upper_80, FORECAST_PLACES),
            "probability_meets_target": forecast.probability,
        }
    return out


class SummaryCSVRenderer(CSVRenderer):
    """The summary as CSV: the figure asked for, then a row per region of its breakdown.
    Anything else (an error) is written as the API's other CSV answers are."""

    HEADER = ["kato", "name", "period", "value", "complete", "previous", "change_percent", "rate_per_10k", "population"]

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if not isinstance(data, dict) or "breakdown" not in data:
            return super().render(data, accepted_media_type, renderer_context)

        def row(r: dict[str, Any]) -> dict[str, Any]:
            return {
                "kato": r["region"]["kato"] or "KZ",
                "name": r["region"]["name"],
                "period": data["period"],
                "value": r["value"],
                "complete": "yes" if r["complete"] else "no",
                "previous": (r.get("previous") or {}).get("value"),
                "change_percent": r.get("change_percent"),
                "rate_per_10k": (r.get("rate_per_10k") or {}).get("value"),
                "population": r.get("population"),
            }

        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Disposition"] = f'attachment; filename="{data["kpi"]["code"]}-summary.csv"'
        rows = [row(data), *(row(b) for b in data["breakdown"])]
        return "".join(csv_lines(self.HEADER, rows)).encode("utf-8")
