"""Which KPI plays which part (the headline, the coordinator's cards, population, the
villages' outcome, the alcohol-free count, the citizens' reports): the catalogue's `role`
column (`KpiRole`, set in `data/indicators.csv` and the admin), never a KPI code in the
code. Services, selectors and views ask here; a KPI already at hand is asked
`indicator.has_role(...)`. The engine, below the selectors, filters by the same
`Indicator.objects.with_role` (`engine/summary.py`'s population) and reads the column
with the catalogue (`engine/figure_state.py`)."""

from collections.abc import Iterable, Sequence

from ..models import Indicator, KpiRole
from ..models.indicators import IndicatorQuerySet


def kpis_of_role(role: KpiRole) -> IndicatorQuerySet:
    """The KPIs with this role, in code order (the cards' order). One query when read."""
    return Indicator.objects.with_role(role).order_by("code")


def kpi_of_role(role: KpiRole) -> Indicator | None:
    """The KPI with this role (every role but the cards names one at most), if any."""
    return kpis_of_role(role).first()


def kpis_of_roles(*roles: KpiRole) -> IndicatorQuerySet:
    """The KPIs with any of these roles."""
    return Indicator.objects.with_role(*roles)


def kpi_shown(kpis: Sequence[Indicator], code: str | None) -> Indicator | None:
    """The KPI a page shows among `kpis`: the one asked for by its code (None when it is
    not among them); when none is asked, the headline, else the first."""
    if code:
        return next((k for k in kpis if k.code == code), None)
    return next((k for k in kpis if k.has_role(KpiRole.HEADLINE)), kpis[0] if kpis else None)


def headline_first(kpis: Iterable[Indicator]) -> list[Indicator]:
    """KPIs in the order pages open on them: the headline, then the cards, then by code."""
    return sorted(kpis, key=lambda k: (not k.has_role(KpiRole.HEADLINE), not k.has_role(KpiRole.CARD), k.code))
