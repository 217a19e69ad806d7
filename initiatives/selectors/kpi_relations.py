"""Which KPIs add up to others (form 1-M's structure: registered = misdemeanours + crimes,
crimes = the four gravity classes, internet fraud is part of fraud): the catalogue's
`part_of` and `parts_add_up` columns (`data/indicators.csv` and the admin), never a list
in the code. Read by the public page's disclosure control (`services/releases.py`) and
the import's warnings (`statistics/warnings.py`)."""

from ..models import Indicator

# (the whole's code, its parts' codes, whether the parts add up to it exactly)
Relation = tuple[str, tuple[str, ...], bool]


def kpi_relations() -> tuple[Relation, ...]:
    """Every whole with its parts, by code; parts in code order. One query."""
    parts: dict[str, list[str]] = {}
    exact: dict[str, bool] = {}
    for code, whole, adds_up in Indicator.objects.filter(part_of__isnull=False).values_list(
        "code", "part_of__code", "part_of__parts_add_up"
    ):
        parts.setdefault(whole, []).append(code)
        exact[whole] = adds_up
    return tuple((whole, tuple(sorted(codes)), exact[whole]) for whole, codes in sorted(parts.items()))
