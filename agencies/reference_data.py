"""The project's own list of the state bodies the Concept names, loaded by a data
migration and re-synced by `seed_demo`."""

import csv
from pathlib import Path
from typing import Any

AGENCIES_FILE = Path(__file__).resolve().parent / "data" / "agencies.csv"


def agency_rows() -> list[dict[str, str]]:
    with AGENCIES_FILE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_agencies(agency_model: Any) -> int:
    """Create or update the agencies of the data file; returns how many changed.

    Rows may name a parent or predecessor further down the file, so links are set in a
    second pass. Takes the model class so a migration can pass its historical model.
    """
    rows = agency_rows()
    changed = 0
    by_code = {}
    for row in rows:
        values = {
            "kind": row["kind"],
            "is_active": row["is_active"] == "1",
            "website": row["website"],
            "name_kk": row["name_kk"],
            "name_ru": row["name_ru"],
            "name_en": row["name_en"],
        }
        agency, created = agency_model.objects.get_or_create(code=row["code"], defaults=values)
        if not created and any(getattr(agency, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(agency, k, v)
            agency.save()
            changed += 1
        changed += created
        by_code[row["code"]] = agency
    for row in rows:
        agency = by_code[row["code"]]
        parent = by_code[row["parent"]] if row["parent"] else None
        predecessor = by_code[row["predecessor"]] if row["predecessor"] else None
        if (agency.parent_id, agency.predecessor_id) != (getattr(parent, "pk", None), getattr(predecessor, "pk", None)):
            agency.parent, agency.predecessor = parent, predecessor
            agency.save()
    return changed
