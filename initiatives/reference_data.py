"""The KPI catalogue the project ships (brief section 4 and the campaign KPIs), loaded by
a data migration and re-synced by `seed_demo`."""

import csv
import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from projectoffice.dates import required_iso_date
from regions.reference_data import first_level_rows

INDICATORS_FILE = Path(__file__).resolve().parent / "data" / "indicators.csv"


def indicator_rows() -> list[dict[str, str]]:
    with INDICATORS_FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class ReferencePopulation:
    """A first-level region's population as the regions' reference file gives it."""

    kato: str
    population: int
    counted_on: datetime.date
    source: str


def first_level_population() -> dict[str, ReferencePopulation]:
    """The population figures of `regions/data/regions_level1.csv`, by KATO (a region the
    file has none for is left out). They are not a region's: they load into values of the
    population KPI (the demo does)."""
    return {
        row["kato"]: ReferencePopulation(
            row["kato"],
            int(row["population"]),
            required_iso_date(row["population_date"]),
            row["population_source"],
        )
        for row in first_level_rows()
        if row["population"]
    }


def load_indicators(indicator_model: Any, agency_model: Any) -> int:
    """Create or update the catalogue; returns how many KPIs changed.

    Formula KPIs name other KPIs of the file, so formulas are set in a second pass, and
    so are the relations (`part_of`, `parts_add_up`) where the model has them.
    Takes the model classes so a migration can pass its historical models.
    """
    rows = indicator_rows()
    # The group arrived after the first migrations: their historical models lack it.
    fields = {f.name for f in indicator_model._meta.get_fields()}
    has_group = "group" in fields
    has_role = "role" in fields
    has_forecast = "forecast" in fields
    has_relations = "part_of" in fields and "parts_add_up" in fields
    agencies = {a.code: a for a in agency_model.objects.all()}
    by_code = {}
    changed = 0
    for row in rows:
        values = {
            "unit": row["unit"],
            "direction": row["direction"],
            "aggregation_regions": row["aggregation_regions"],
            "aggregation_time": row["aggregation_time"],
            "frequency": row["frequency"],
            "owner_agency": agencies[row["owner_agency"]],
            "decimal_places": int(row["decimal_places"]),
            "name_kk": row["name_kk"],
            "name_ru": row["name_ru"],
            "name_en": row["name_en"],
            **({"group": row["group"]} if has_group else {}),
            **({"role": row["role"]} if has_role else {}),
            **({"forecast": row.get("forecast", "") == "yes"} if has_forecast else {}),
        }
        indicator = indicator_model.objects.filter(code=row["code"]).first()
        if indicator is None:
            # Created as a plain KPI; the formula and "computed" source follow below,
            # together, so the formula constraint holds at every step.
            indicator = indicator_model.objects.create(code=row["code"], source="statistics", **values)
            changed += 1
        elif any(getattr(indicator, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(indicator, k, v)
            indicator.save()
            changed += 1
        by_code[row["code"]] = indicator
    for row in rows:
        indicator = by_code[row["code"]]
        formula = (
            (by_code[row["numerator"]].pk, by_code[row["denominator"]].pk, Decimal(row["factor"]))
            if row["numerator"]
            else (None, None, None)
        )
        wanted = (row["source"], *formula)
        if (indicator.source, indicator.numerator_id, indicator.denominator_id, indicator.factor) != wanted:
            indicator.source, indicator.numerator_id, indicator.denominator_id, indicator.factor = wanted
            indicator.save()
        if has_relations:
            relation = (by_code[row["part_of"]].pk if row.get("part_of") else None, row.get("parts_add_up") == "yes")
            if (indicator.part_of_id, indicator.parts_add_up) != relation:
                indicator.part_of_id, indicator.parts_add_up = relation
                indicator.save()
    return changed


# Whose branches owe reports on a new installation and in the demo: the Prosecutor
# General's Office, whose project office runs the tracker (a migration gives an
# installation that already had coordinators the agencies of their branches instead).
FIRST_REPORTING_AGENCY = "gpo"
CYCLE_KINDS = ("monthly", "half_yearly")


def load_reporting_cycles(cycle_model: Any, agency_model: Any) -> None:
    """The reporting cycles where missing, due on the 15th of the month after the period
    (Decree No. 200), and a cycle that names no agency owed by FIRST_REPORTING_AGENCY's
    branches. Due dates and agencies staff set are left as they are."""
    reporting = agency_model.objects.get(code=FIRST_REPORTING_AGENCY)
    for kind in CYCLE_KINDS:
        cycle, _created = cycle_model.objects.get_or_create(kind=kind, defaults={"due_day": 15, "months_after": 1})
        if not cycle.agencies.exists():
            cycle.agencies.add(reporting)
