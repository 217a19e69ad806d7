"""The alcohol-free register as people read it: each village with its stage and dates, the
counts by region, and the outcome. Where the village's forecast is stored (its settlement
or okrug had the figures: `forecasts/impact.py`), the offences in the months after the
decision that are over against what was expected for them, and the campaign's overall
effect (`forecasts/impact_selectors.py`); elsewhere the plain count of the 12 months
before and after the decision, labelled as such, where okrug- or settlement-level figures
exist (a note where they do not). Three queries, whatever the number of villages."""

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from agencies.access import scoped_to_user
from projectoffice.numbers import rounded
from regions.kato import kato_top
from regions.models import Region

from ..engine.aggregation import Fact, over_time
from ..engine.summary import percent_change
from ..forecasts.impact_selectors import LEAST_BEFORE, OverallImpact, VillageImpact, overall_impact, village_impact
from ..models import Campaign, KpiRole, SettlementStage, Value
from ..periods import Month, Period
from .kpi_roles import kpi_of_role

OUTCOME_MONTHS = 12


@dataclass
class Village:
    campaign: Campaign
    region_name: str
    before: Decimal | None
    after: Decimal | None
    measured_at: str  # the settlement or okrug whose figures were used
    note: str
    # Against the forecast, where one is stored; else the plain before/after above.
    impact: VillageImpact | None = None

    @property
    def plain_label(self) -> str:
        """What the plain before/after is, where it stands in for a forecast."""
        if self.impact is not None or self.before is None:
            return ""
        return _("before / after, no forecast: fewer than %(months)s months of figures") % {"months": LEAST_BEFORE}

    @property
    def change_percent(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return percent_change(self.after, self.before)


@dataclass
class Register:
    villages: list[Village]
    by_region: list[tuple[str, str, dict[str, int]]]  # (kato, name, stage -> count)
    stages: list[tuple[str, str]]
    overall: OverallImpact | None = None


def _outcome(
    facts: dict[int, list[Fact]], places: list[Region], decided: datetime.date, today: datetime.date, code: str
) -> tuple[Decimal | None, Decimal | None, str, str]:
    month = Month.from_date(decided)
    before = Period(month.plus(-OUTCOME_MONTHS), month.plus(-1))
    after = Period(month.plus(1), month.plus(OUTCOME_MONTHS))
    for place in places:
        own = facts.get(place.pk, [])
        if not own:
            continue
        was = over_time(own, before, "sum", place.kato, code)
        if not after.is_over(today):
            return (
                was.value if was.complete else None,
                None,
                str(place),
                _("the 12 months after the decision are not over yet"),
            )
        now = over_time(own, after, "sum", place.kato, code)
        if was.complete and now.complete:
            return was.value, now.value, str(place), ""
    return None, None, "", _("no settlement- or okrug-level offence figures for the 12 months around the decision")


def alcohol_free_register(*, user: Any, region: Region | None, today: datetime.date) -> Register:
    found = scoped_to_user(
        Campaign.objects.alcohol_free().select_related("region__parent", "impact__region"), user, field="region"
    ).order_by("region__kato", "declared_on")
    if region is not None:
        found = found.filter(region__in=Region.objects.descendants_of(region))
    campaigns = list(found)
    places = {c.region.pk for c in campaigns} | {c.region.parent_id for c in campaigns if c.region.parent_id}
    facts: dict[int, list[Fact]] = {}
    registered = kpi_of_role(KpiRole.OUTCOME)
    if registered is not None and places:
        for region_id, start, end, number in (
            Value.objects.approved()
            .filter(indicator=registered, region_id__in=places, region__level__gte=3)
            .values_list("region_id", "period_start", "period_end", "value")
        ):
            facts.setdefault(region_id, []).append(
                Fact(region_id, Month.from_date(start).index, Month.from_date(end).index, number)
            )
    tops = {r.kato: str(r) for r in Region.objects.top_level()}
    outcome_code = registered.code if registered is not None else ""
    villages = []
    counts: dict[str, Counter[str]] = {}
    for c in campaigns:
        top = kato_top(c.region.kato)
        counts.setdefault(top, Counter())[c.settlement_stage] += 1
        around = [c.region, *([c.region.parent] if c.region.parent and c.region.parent.level >= 3 else [])]
        before, after, where, note = _outcome(facts, around, c.declared_on or c.start_date, today, outcome_code)
        villages.append(Village(c, tops.get(top, top), before, after, where, note, _impact_of(c, facts, today)))
    stages = [(s.value, str(s.label)) for s in SettlementStage]
    by_region = [(kato, tops.get(kato, kato), dict(counts[kato])) for kato in sorted(counts)]
    overall = overall_impact(v.impact for v in villages if v.impact is not None)
    return Register(villages, by_region, stages, overall)


def _impact_of(campaign: Campaign, facts: dict[int, list[Fact]], today: datetime.date) -> VillageImpact | None:
    """The village against its stored forecast, its observed months read from the same
    own monthly figures of its settlement or okrug as the plain before/after."""
    try:
        impact = campaign.impact
    except ObjectDoesNotExist:
        return None
    monthly = {f.start: f.value for f in facts.get(impact.region_id, []) if f.start == f.end}
    return village_impact(impact, monthly, today)


VILLAGES_HEADER = [
    "kato",
    "name",
    "region",
    "stage",
    "declared_on",
    "verified_on",
    "sustained_on",
    "lapsed_on",
    "offences_before",
    "offences_after",
    "measured_at",
    "months_observed",
    "expected",
    "expected_lower_80",
    "expected_upper_80",
]


def register_table(register: Register) -> list[list[Any]]:
    def day(d: datetime.date | None) -> str | None:
        return d.isoformat() if d else None

    def expected(v: Village) -> list[Any]:
        i = v.impact
        if i is None:
            return [OUTCOME_MONTHS if v.after is not None else None, None, None, None]
        return [i.months_observed, rounded(i.expected, 0), rounded(i.lower_80, 0), rounded(i.upper_80, 0)]

    return [
        [
            v.campaign.region.kato,
            str(v.campaign.region),
            v.region_name,
            v.campaign.settlement_stage,
            day(v.campaign.declared_on),
            day(v.campaign.verified_on),
            day(v.campaign.sustained_on),
            day(v.campaign.lapsed_on),
            rounded(v.before, 0),
            rounded(v.impact.observed if v.impact is not None else v.after, 0),
            (v.impact.measured_at if v.impact is not None else v.measured_at) or None,
            *expected(v),
        ]
        for v in register.villages
    ]
