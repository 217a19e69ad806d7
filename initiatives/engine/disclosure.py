"""Which published counts the public page withholds, so that no count from 1 to below
the threshold can be read or worked out (statistical disclosure control as national
statistics offices practise it: primary and secondary cell suppression).

Pure computation over numbers already in memory. A cell is one count the public sees:
a KPI, a region ("" for the nation) and a span (the release's period, or the year
before it). What an outsider knows besides the cells, and so can combine them by:

- a KPI's national figure is the sum of the regions' (one equation per KPI and span);
- KPIs that add up to others (`relations`, given by the caller from the catalogue's
  `part_of` and `parts_add_up`, `selectors/kpi_relations.py`: registered = misdemeanours
  + crimes, crimes = the four gravity classes; internet fraud is part of fraud), per
  region and span; an equation is used only where the figures satisfy it;
- spans of the same KPI and region inside one another (successive year-to-date releases):
  the larger is the smaller plus the months between, themselves a count;
- the label: a count shown as "<5" lies between 1 and 4.

Primary: a count from 1 to below the threshold is withheld ("below"). Secondary: every
equation holding a withheld cell, or a count worked out as a difference (the months
between two spans, fraud other than internet fraud) that is itself small, must hold at
least two unknowns, one of them a count of at least the threshold that is not itself
small: then the small one can be anything from 1 to the threshold minus one. Where that
is not so, the smallest shown cell of at least the threshold (else the smallest non-zero
one) is withheld ("secondary"), and the equations are checked again until none needs
more. Cells the public has already seen in an earlier release keep what they showed:
shown ones cannot be taken back, hidden ones stay hidden. A test audits the outcome by
linear programming over every month of every region
(`tests/initiatives/test_disclosure_audit.py`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

SHOWN, BELOW, SECONDARY = "", "below", "secondary"

# (total, its parts, exact): exact parts add up to the total; inexact ones are part of it.
Relation = tuple[str, tuple[str, ...], bool]

CellKey = tuple[str, str, int, int]  # (KPI code, KATO or "" for the nation, first month, last month)


@dataclass
class Equation:
    """Published cells with a linear relation, and the counts it implies that are never
    published (always unknown to the public): `virtual`."""

    cells: list[CellKey]
    virtual: list[Decimal] = field(default_factory=list)


@dataclass
class Outcome:
    marks: dict[CellKey, str]
    # Equations that needed more withheld and had nothing left to withhold.
    unprotected: list[Equation]


def suppress(
    cells: Mapping[CellKey, Decimal | None],
    known: Mapping[CellKey, tuple[Decimal, str]],
    *,
    threshold: int,
    regions: Iterable[str],
    relations: Iterable[Relation],
) -> Outcome:
    """The mark of each of `cells` (a new release's counts; None: not a number, shown
    empty), given what the public already has (`known`: earlier releases' counts with
    their marks) and which KPIs add up to which (`relations`: (the whole's code, its
    parts' codes, whether they add up to it exactly), as `kpi_relations()` reads them)."""
    t = Decimal(threshold)
    value: dict[CellKey, Decimal] = {}
    mark: dict[CellKey, str] = {}
    fixed: set[CellKey] = set()
    for key, (number, seen) in known.items():
        value[key], mark[key] = number, seen
        fixed.add(key)
    for key, given in cells.items():
        if given is None or (key in value and value[key] == given):
            continue  # not a number; or the public has it already, as it was shown
        number = given
        value[key] = number
        fixed.discard(key)
        mark[key] = BELOW if 1 <= number < t else SHOWN

    equations = _equations(value, list(regions), list(relations))

    def hidden(key: CellKey) -> bool:
        return mark.get(key, SHOWN) != SHOWN

    # A new cell that the public can already work out from what it has seen (a quarter
    # between two year-to-date figures it has; zeros, which are always shown) protects
    # nothing by being withheld: it is shown, and never counted as a guard.
    pinned: set[CellKey] = set()
    grown = True
    while grown:  # what can be worked out from those, too
        grown = False
        for eq in equations:
            if eq.virtual:
                continue
            for k in eq.cells:
                if k in fixed or k in pinned or mark[k] == BELOW:
                    continue
                if all(o in pinned or (not hidden(o) and (o in fixed or value[o] == 0)) for o in eq.cells if o != k):
                    pinned.add(k)
                    grown = True

    # A KPI's count for a region is withheld for every span of a year alike (successive
    # year-to-date figures and the quarters between them), so no difference of spans
    # gives away what one span withholds.
    families: dict[tuple[str, str, int], list[CellKey]] = {}
    for key in value:
        families.setdefault(_family(key), []).append(key)

    unprotected: list[Equation] = []
    changed = True
    while changed:
        changed = False
        unprotected = []
        for members in families.values():
            if any(hidden(k) for k in members):
                for k in members:
                    if not hidden(k) and k not in fixed and k not in pinned and value[k] > 0:
                        mark[k] = SECONDARY
                        changed = True
        for eq in equations:
            withheld = [k for k in eq.cells if hidden(k)]
            if not withheld and not any(1 <= d < t for d in eq.virtual):
                continue
            guards = [value[k] for k in withheld if mark[k] == SECONDARY and k not in pinned]
            guards += [d for d in eq.virtual if d >= t]
            if len(withheld) + len(eq.virtual) >= 2 and any(g >= t for g in guards):
                continue
            free = [k for k in eq.cells if not hidden(k) and k not in fixed and k not in pinned]
            pick = min((k for k in free if value[k] >= t), key=lambda k: (value[k], k), default=None)
            if pick is None:
                pick = min((k for k in free if value[k] > 0), key=lambda k: (value[k], k), default=None)
            if pick is None:
                unprotected.append(eq)
                continue
            mark[pick] = SECONDARY
            changed = True
    return Outcome({key: mark.get(key, SHOWN) for key in cells}, unprotected)


def _family(key: CellKey) -> tuple[str, str, int]:
    code, kato, first, _last = key
    return code, kato, first // 12


def _equations(value: Mapping[CellKey, Decimal], regions: list[str], relations: list[Relation]) -> list[Equation]:
    out: list[Equation] = []
    spans_of: dict[tuple[str, str], set[tuple[int, int]]] = {}
    for code, kato, first, last in value:
        spans_of.setdefault((code, kato), set()).add((first, last))
    codes = {code for code, _kato in spans_of}
    all_spans = {span for spans in spans_of.values() for span in spans}
    # The nation is the sum of the regions.
    for code in codes:
        for first, last in all_spans:
            keys = [(code, kato, first, last) for kato in ["", *regions]]
            if all(k in value for k in keys) and value[keys[0]] == sum((value[k] for k in keys[1:]), Decimal(0)):
                out.append(Equation(keys))
    # KPIs that add up to others.
    for total, parts, exact in relations:
        for kato in ["", *regions]:
            for first, last in all_spans:
                keys = [(c, kato, first, last) for c in (total, *parts)]
                if not all(k in value for k in keys):
                    continue
                rest = value[keys[0]] - sum((value[k] for k in keys[1:]), Decimal(0))
                if exact and rest == 0:
                    out.append(Equation(keys))
                elif not exact and rest >= 0:
                    out.append(Equation(keys, [rest]))
    # Spans inside one another: the larger is the smaller plus the months between.
    for (code, kato), spans in spans_of.items():
        for a in spans:
            for b in spans:
                if a == b or not (b[0] <= a[0] and a[1] <= b[1]):
                    continue
                small: CellKey = (code, kato, a[0], a[1])
                large: CellKey = (code, kato, b[0], b[1])
                between = value[large] - value[small]
                if between < 0:
                    continue  # a correction between releases: not a count of anything
                gaps = [(b[0], a[0] - 1)] if a[1] == b[1] else [(a[1] + 1, b[1])] if a[0] == b[0] else []
                published: list[CellKey] = [(code, kato, g[0], g[1]) for g in gaps if (code, kato, g[0], g[1]) in value]
                if published and value[published[0]] == between:
                    out.append(Equation([large, small, *published]))
                else:
                    out.append(Equation([large, small], [between]))
    return out
