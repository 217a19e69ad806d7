"""Demo programme: initiatives and campaigns that read like the real Concept, targets, and
monthly KPI values from January 2024 to the last month that is over on the day it runs,
and the demo coordinators' reports of the months before: some on time, one late, one
missing, one returned, one waiting for review, as a real office looks.

The numbers are generated, not real: plausible in size (about 60 offences a year per
10,000 people, falling a few per cent a year, with a seasonal shape) and consistent
(misdemeanours + crimes = registered; the four gravity classes add up to crimes).
Everything is deterministic. Running it again fills what is missing and never changes what
is there: a figure a person corrected or an import replaced stays as they left it.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from agencies.models import Agency, Membership
from projectoffice.dates import iso_date
from regions.kato import kato_top
from regions.models import Region, RegionKind

from .management.demo_reports import demo_report_history, last_month
from .management.demo_targets import reported_kpi_targets
from .models import (
    ApprovalState,
    Campaign,
    CampaignKind,
    CampaignStatus,
    ConceptDirection,
    ImportBatch,
    Indicator,
    Initiative,
    InitiativeStatus,
    Report,
    ReportingCycle,
    ReportKind,
    SettlementStage,
    Target,
    Value,
    ValueSource,
)
from .models.imports import ImportStatus
from .periods import Month, Period
from .reference_data import load_indicators, load_reporting_cycles
from .selectors.reports import due_date_for
from .services.register import alcohol_free_values_sync
from .services.reports import REOPEN_DAYS

FIRST_MONTH = Month(2024, 1)


def approved_at(month: Month) -> datetime.datetime:
    """When a month's figures were "approved": the 10th of the month after (or this
    morning, when that is still to come), as the statistics arrive."""
    after = month.plus(1)
    tenth = datetime.datetime(after.year, after.month, 10, 9, 0, tzinfo=datetime.UTC)
    return min(tenth, timezone.now().replace(hour=0, minute=0, second=0, microsecond=0))


def _statistics_import_record(rows: int) -> None:
    """The import that brought last month's statistics, as an office's log shows it: the
    pages say their figures are "as of" it."""
    last = last_month()
    ImportBatch.objects.get_or_create(
        file_name=f"form-1m-{last}.xlsx",
        defaults={
            "status": ImportStatus.SUCCEEDED,
            "rows": rows,
            "created": rows,
            "started_at": approved_at(last),
            "finished_at": approved_at(last),
        },
    )


# Offences a year per 10,000 people, and how the level falls year on year.
YEARLY_RATE_PER_10K = 60
YEAR_LEVEL = {2024: 1.0, 2025: 0.94, 2026: 0.88}
YEARLY_FALL = 0.94  # after 2026
# More offences in summer than in winter.
SEASON = {1: 0.86, 2: 0.84, 3: 0.95, 4: 0.98, 5: 1.04, 6: 1.08, 7: 1.12, 8: 1.12, 9: 1.05, 10: 1.02, 11: 0.98, 12: 0.96}
# Population used only to size generated figures where no official figure is recorded.
FALLBACK_POPULATION = 750_000

# code, direction, lead agency, participants, KPIs, (en, ru, kk)
INITIATIVES = [
    (
        "crime-reduction",
        ConceptDirection.PREVENTION,
        "gpo",
        ["mvd", "kpssu", "akimats"],
        [
            "crime.registered",
            "crime.registered_per_10k",
            "crime.theft",
            "crime.especially_grave",
            "cases.electronic_share",
        ],
        ("Reducing registered crime", "Снижение регистрируемой преступности", "Тіркелетін қылмысты азайту"),
    ),
    (
        "alcohol-free-villages",
        ConceptDirection.SAFE_ENVIRONMENT,
        "akimats",
        ["mvd", "minhealth", "gpo"],
        ["settlements.alcohol_free", "crime.registered"],
        ("Alcohol-free villages", "Сёла без алкоголя", "Ішімдіксіз ауылдар"),
    ),
    (
        "internet-fraud",
        ConceptDirection.DIGITAL,
        "mvd",
        ["maidd", "afm", "gpo"],
        ["crime.internet_fraud", "crime.fraud"],
        ("Fighting internet fraud", "Противодействие интернет-мошенничеству", "Интернет-алаяқтыққа қарсы іс-қимыл"),
    ),
    (
        "legal-literacy",
        ConceptDirection.LEGAL_CULTURE,
        "minjust",
        ["minedu", "mci", "gpo"],
        ["events.legal_literacy"],
        ("Legal literacy for everyone", "Правовая грамотность для всех", "Барлығына құқықтық сауаттылық"),
    ),
    (
        "citizen-reporting",
        ConceptDirection.PUBLIC_PARTICIPATION,
        "mvd",
        ["gpo", "akimats"],
        ["citizen_reports.rewarded"],
        (
            "Reward for reporting violations",
            "Поощрение граждан за сообщения о нарушениях",
            "Құқық бұзушылықтар туралы хабарлаған азаматтарды көтермелеу",
        ),
    ),
    (
        "healthy-lifestyle",
        ConceptDirection.SAFE_ENVIRONMENT,
        "minhealth",
        ["minedu", "akimats"],
        [],
        ("Healthy lifestyle", "Здоровый образ жизни", "Салауатты өмір салты"),
    ),
]

# Villages where the demo's alcohol-free campaigns run: (district, okrug, village), each
# (KATO, en, ru, kk). Illustrative codes: importing the official classifier with
# `import_kato` renames them to whatever the classifier holds under the same code.
DEMO_SETTLEMENTS = [
    (
        ("434000000", "Zhalagash District", "Жалагашский район", "Жалағаш ауданы"),
        ("434030000", "Akkum rural okrug", "сельский округ Аккум", "Аққұм ауылдық округі"),
        ("434030100", "Akkum", "село Аккум", "Аққұм ауылы"),
    ),
    (
        ("616400000", "Tole Bi District", "Толебийский район", "Төле би ауданы"),
        ("616430000", "Zertas rural okrug", "сельский округ Зертас", "Зертас ауылдық округі"),
        ("616430100", "Zertas", "село Зертас", "Зертас ауылы"),
    ),
    (
        ("313600000", "Baizak District", "Байзакский район", "Байзақ ауданы"),
        ("313630000", "Koktal rural okrug", "сельский округ Коктал", "Көктал ауылдық округі"),
        ("313630100", "Koktal", "село Коктал", "Көктал ауылы"),
    ),
    (
        ("115600000", "Zerendi District", "Зерендинский район", "Зеренді ауданы"),
        ("115630000", "Kyzylsay rural okrug", "сельский округ Кызылсай", "Қызылсай ауылдық округі"),
        ("115630100", "Kyzylsay", "село Кызылсай", "Қызылсай ауылы"),
    ),
    (
        ("103200000", "Abai District", "Абайский район", "Абай ауданы"),
        ("103230000", "Karaul rural okrug", "сельский округ Караул", "Қарауыл ауылдық округі"),
        ("103230100", "Karaul", "село Караул", "Қарауыл ауылы"),
    ),
]
# Stage of each demo village, with its dates: declared, verified, sustained, lapsed.
SETTLEMENT_STORIES = [
    (SettlementStage.SUSTAINED, "2025-05-12", "2025-06-20", "2026-05-12", None),
    (SettlementStage.VERIFIED, "2025-09-03", "2025-10-15", None, None),
    (SettlementStage.DECLARED, "2026-08-21", None, None, None),
    (SettlementStage.LAPSED, "2025-04-28", "2025-06-02", None, "2026-03-10"),
    (SettlementStage.SUSTAINED, "2025-06-30", "2025-08-01", "2026-06-30", None),
]
# Region-wide campaigns: (initiative, kind, region KATO, start, (en, ru, kk))
REGION_CAMPAIGNS = [
    (
        "internet-fraud",
        CampaignKind.ANTI_FRAUD,
        "710000000",
        "2025-09-01",
        ("Do not give your SMS code: Astana", "Не сообщай код из СМС: Астана", "СМС кодты айтпа: Астана"),
    ),
    (
        "internet-fraud",
        CampaignKind.ANTI_FRAUD,
        "750000000",
        "2025-09-01",
        ("Do not give your SMS code: Almaty", "Не сообщай код из СМС: Алматы", "СМС кодты айтпа: Алматы"),
    ),
    (
        "legal-literacy",
        CampaignKind.LEGAL_LITERACY,
        "790000000",
        "2025-10-01",
        ("Law lessons in Shymkent schools", "Уроки права в школах Шымкента", "Шымкент мектептеріндегі құқық сабақтары"),
    ),
    (
        "legal-literacy",
        CampaignKind.LEGAL_LITERACY,
        "350000000",
        "2026-02-01",
        (
            "Legal clinics in Karaganda region",
            "Правовые приёмные в Карагандинской области",
            "Қарағанды облысындағы құқықтық қабылдаулар",
        ),
    ),
    (
        "healthy-lifestyle",
        CampaignKind.HEALTHY_LIFESTYLE,
        "550000000",
        "2026-04-01",
        ("Sport instead of alcohol: Pavlodar", "Спорт вместо алкоголя: Павлодар", "Ішімдіктің орнына спорт: Павлодар"),
    ),
    (
        "citizen-reporting",
        CampaignKind.CITIZEN_REPORTING,
        "710000000",
        "2025-07-01",
        (
            "Report a violation, get a reward",
            "Сообщи о нарушении — получи поощрение",
            "Бұзушылық туралы хабарла — көтермелеу ал",
        ),
    ),
]


def _months() -> list[Month]:
    return [Month.from_index(i) for i in range(FIRST_MONTH.index, last_month().index + 1)]


def _year_level(year: int) -> float:
    return YEAR_LEVEL.get(year, YEAR_LEVEL[2026] * YEARLY_FALL ** (year - 2026))


@dataclass(frozen=True)
class GeneratedValue:
    code: str
    kato: str
    period: Period
    value: Decimal
    source: str


def generate_values(regions: list[Region]) -> list[GeneratedValue]:
    """The demo's KPI values, the same on every run."""
    out: list[GeneratedValue] = []
    for region in regions:
        rng = random.Random(f"demo-values-{region.kato}")  # noqa: S311 - demo numbers, not secrets
        population = region.population or FALLBACK_POPULATION
        alcohol_free = rng.randint(3, 25)
        for month in _months():
            period = Period(month, month)
            monthly = population * YEARLY_RATE_PER_10K / 10_000 / 12
            registered = round(monthly * _year_level(month.year) * SEASON[month.month] * rng.uniform(0.93, 1.07))
            misdemeanours = round(registered * 0.38)
            crimes = registered - misdemeanours
            minor, medium, grave = round(crimes * 0.28), round(crimes * 0.47), round(crimes * 0.19)
            fraud = round(crimes * 0.22)
            figures = {
                "crime.registered": registered,
                "crime.misdemeanours": misdemeanours,
                "crime.crimes": crimes,
                "crime.minor": minor,
                "crime.medium": medium,
                "crime.grave": grave,
                "crime.especially_grave": crimes - minor - medium - grave,
                "crime.theft": round(crimes * 0.36),
                "crime.fraud": fraud,
                "crime.internet_fraud": round(fraud * 0.62),
                "crime.robbery": round(crimes * 0.02),
                "crime.brigandage": round(crimes * 0.004),
                "crime.hooliganism": round(registered * 0.012),
                "crime.murder": round(crimes * 0.0035),
            }
            for code, number in figures.items():
                out.append(GeneratedValue(code, region.kato, period, Decimal(number), ValueSource.IMPORT))
            share = Decimal(str(round(88 + (month.index - FIRST_MONTH.index) * 0.2 + rng.uniform(-1.5, 1.5), 1)))
            out.append(GeneratedValue("cases.electronic_share", region.kato, period, share, ValueSource.IMPORT))
            # Alcohol-free settlements are counted from the campaign register
            # (`services.register`), never generated; the draw stays so that the figures
            # after it are the same as before.
            alcohol_free += rng.choice((0, 0, 1, 1, 2))
            out.append(
                GeneratedValue(
                    "events.legal_literacy", region.kato, period, Decimal(rng.randint(20, 80)), ValueSource.REPORT
                )
            )
            # Citizens rewarded are counted from the citizen register (`citizens`); the
            # draw stays so that the figures after it are the same as before.
            rng.randint(5, 40)
        if region.population:
            # A stock is read as at the end of its period: the population on 1 January 2026
            # is the figure for the end of 2025.
            for year, scale in ((2023, Decimal("0.98")), (2024, Decimal("0.99")), (2025, Decimal(1))):
                out.append(
                    GeneratedValue(
                        "population",
                        region.kato,
                        Period.year(year),
                        Decimal(round(region.population * scale)),
                        ValueSource.IMPORT,
                    )
                )
    return out


def _settlements() -> list[Region]:
    """The demo villages with their districts and okrugs, created when missing."""
    villages = []
    kinds = (RegionKind.DISTRICT, RegionKind.RURAL_OKRUG, RegionKind.SETTLEMENT)
    for chain in DEMO_SETTLEMENTS:
        parent = Region.objects.get(kato=kato_top(chain[0][0]))
        for (kato, en, ru, kk), kind in zip(chain, kinds, strict=True):
            parent, _ = Region.objects.get_or_create(
                kato=kato, defaults={"parent": parent, "kind": kind, "name_en": en, "name_ru": ru, "name_kk": kk}
            )
        villages.append(parent)
    return villages


def _initiatives(owner: User | None) -> dict[str, Initiative]:
    agencies = {a.code: a for a in Agency.objects.all()}
    indicators = {i.code: i for i in Indicator.objects.all()}
    out = {}
    for code, direction, lead, participants, kpis, (en, ru, kk) in INITIATIVES:
        initiative, created = Initiative.objects.get_or_create(
            code=code,
            defaults={
                "direction": direction,
                "lead_agency": agencies[lead],
                "name_en": en,
                "name_ru": ru,
                "name_kk": kk,
                "start_date": datetime.date(2025, 4, 1),
                "end_date": datetime.date(2030, 12, 31),
                "status": InitiativeStatus.ACTIVE,
                "owner": owner,
            },
        )
        if created:
            initiative.participating_agencies.set([agencies[c] for c in participants])
            initiative.indicators.set([indicators[c] for c in kpis])
        out[code] = initiative
    return out


def _campaigns(initiatives: dict[str, Initiative], villages: list[Region]) -> None:
    for village, (stage, declared, verified, sustained, lapsed) in zip(villages, SETTLEMENT_STORIES, strict=True):
        Campaign.objects.get_or_create(
            kind=CampaignKind.ALCOHOL_FREE_SETTLEMENT,
            region=village,
            defaults={
                "initiative": initiatives["alcohol-free-villages"],
                "name_en": f"{village.name_en}: alcohol-free village",
                "name_ru": f"{village.name_ru}: село без алкоголя",
                "name_kk": f"{village.name_kk}: ішімдіксіз ауыл",
                "start_date": datetime.date.fromisoformat(declared),
                "status": CampaignStatus.COMPLETED if stage == SettlementStage.LAPSED else CampaignStatus.ACTIVE,
                "settlement_stage": stage,
                "declared_on": iso_date(declared),
                "verified_on": iso_date(verified),
                "sustained_on": iso_date(sustained),
                "lapsed_on": iso_date(lapsed),
                "evidence": f"{declared}: decision of the village assembly (protocol No. 1)",
            },
        )
    for initiative_code, kind, kato, start, (en, ru, kk) in REGION_CAMPAIGNS:
        Campaign.objects.get_or_create(
            initiative=initiatives[initiative_code],
            kind=kind,
            region=Region.objects.get(kato=kato),
            name_en=en,
            defaults={
                "name_ru": ru,
                "name_kk": kk,
                "start_date": datetime.date.fromisoformat(start),
                "status": CampaignStatus.ACTIVE,
            },
        )


def _values(regions: list[Region], user: User | None) -> int:
    """The generated figures a key has none of. A key that holds a value keeps it, whatever
    wrote it: a coordinator's report approved by the office, an import, a hand correction,
    or an earlier run of the demo."""
    indicators = {i.code: i for i in Indicator.objects.all()}
    by_kato = {r.kato: r for r in regions}
    existing = set(
        Value.objects.filter(region__in=regions, indicator__in=indicators.values()).values_list(
            "indicator_id", "region_id", "period_start", "period_end"
        )
    )
    to_create = []
    for g in generate_values(regions):
        indicator, region = indicators[g.code], by_kato[g.kato]
        if (indicator.pk, region.pk, g.period.first_day, g.period.end.first_day) in existing:
            continue
        row = Value(indicator=indicator, region=region, value=g.value, source=g.source)
        row.period = g.period
        row.approval_state, row.approved_at = ApprovalState.APPROVED, approved_at(g.period.end)
        to_create.append(row)
    bulk_create_with_history(to_create, Value, batch_size=2000, default_user=user)
    return len(to_create)


def _targets(regions: list[Region]) -> None:
    """Targets for this year (that of the last month that is over): 5% fewer registered
    offences than the year before, region by region and nationally; and a national target
    for alcohol-free settlements."""
    year = last_month().year
    registered = Indicator.objects.get(code="crime.registered")
    totals: dict[Region | None, Decimal] = {}
    for region in regions:
        values = Value.objects.filter(indicator=registered, region=region).within_span(Period.year(year - 1))
        totals[region] = sum((v.value for v in values), Decimal(0))
    totals[None] = sum(totals.values(), Decimal(0))
    for target_region, baseline in totals.items():
        Target.objects.get_or_create(
            indicator=registered,
            region=target_region,
            year=year,
            defaults={
                "baseline_value": baseline,
                "baseline_year": year - 1,
                "target_value": round(baseline * Decimal("0.95")),
            },
        )
    Target.objects.get_or_create(
        indicator=Indicator.objects.get(code="settlements.alcohol_free"),
        region=None,
        year=year,
        defaults={"target_value": 600, "note": "Hundreds of settlements, growing every month."},
    )
    reported_kpi_targets(regions, year)


def _open_demo_reports() -> None:
    """Last month's report for each demo coordinator, open for the demo even when its
    due date has passed (a reopening, as staff would grant; set once, kept after)."""
    last_month = Month.from_date(timezone.localdate()).plus(-1)
    period = Period(last_month, last_month)
    for membership in (
        Membership.objects.active().filter(user__username__startswith="coordinator.").select_related("branch")
    ):
        report, _created = Report.objects.get_or_create(
            branch=membership.branch,
            kind=ReportKind.MONTHLY,
            period_start=period.first_day,
            period_end=period.end.first_day,
            defaults={"due_date": due_date_for(ReportKind.MONTHLY, period)},
        )
        if report.due_date < timezone.localdate() and report.reopened_until is None:
            report.reopened_until = timezone.now() + datetime.timedelta(days=REOPEN_DAYS)
            report.save(update_fields=["reopened_until", "updated_at"])


@transaction.atomic
def seed_programme() -> int:
    """Create what is missing of the demo programme; returns how many values were written."""
    load_indicators(Indicator, Agency)
    load_reporting_cycles(ReportingCycle, Agency)  # every region's gpo branch owes reports
    owner = User.objects.filter(username="office").first()
    regions = list(Region.objects.top_level())
    initiatives = _initiatives(owner)
    _campaigns(initiatives, _settlements())
    written = _values(regions, owner)
    written += alcohol_free_values_sync(user=owner)
    _statistics_import_record(rows=len(regions) * 15)
    _targets(regions)
    demo_report_history(owner)
    _open_demo_reports()
    return written
