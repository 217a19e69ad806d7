"""The project's own copy of the 20 first-level units (17 oblasts and the cities of
Astana, Almaty and Shymkent), loaded by a data migration and re-synced by `seed_demo`.

The file's population columns are not a region's: population is kept as values of the
population KPI, and `initiatives/reference_data.py` reads them from here."""

import csv
from pathlib import Path
from typing import Any

from projectoffice.dates import iso_date

from .kato import kato_level

FIRST_LEVEL_FILE = Path(__file__).resolve().parent / "data" / "regions_level1.csv"


def first_level_rows() -> list[dict[str, str]]:
    with FIRST_LEVEL_FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_first_level_regions(region_model: Any) -> int:
    """Create or update the 20 units from the data file; returns how many changed.

    Takes the model class so a migration can pass its historical model.
    """
    changed = 0
    for row in first_level_rows():
        values = {
            "level": kato_level(row["kato"]),
            "kind": row["kind"],
            "iso_3166_2": row["iso_3166_2"],
            "name_kk": row["name_kk"],
            "name_ru": row["name_ru"],
            "name_en": row["name_en"],
            "valid_from": iso_date(row["valid_from"]),
        }
        region = region_model.objects.filter(kato=row["kato"]).first()
        if region is None:
            region_model.objects.create(kato=row["kato"], **values)
            changed += 1
        elif any(getattr(region, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(region, k, v)
            region.save()
            changed += 1
    return changed
