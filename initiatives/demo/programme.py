"""Demo programme: initiatives and campaigns that read like the real Concept, the demo's
districts, targets, monthly KPI values from June 2022 to the last month that is over on
the day it runs, and the demo coordinators' reports of the months before: some on time,
one late, one missing, one returned, one waiting for review, as a real office looks.

The numbers are generated, not real (`statistics.py` says what they promise): every
district has its own series of each offence KPI and each first-level region's value is
the exact sum of its districts', as form 1-M adds them up. The districts (`--districts`
of `seed_demo`, DEFAULT_DISTRICTS unless told) are illustrative: made up codes under the
real first-level regions and names such as "District No. 3, Abai Region", shared out by
population; the five demo villages' districts among them carry real names.
Everything is deterministic. Running it again fills what is missing and never changes what
is there: a figure a person corrected or an import replaced stays as they left it.
"""

import datetime

from django.contrib.auth.models import User
from django.db import transaction

from agencies.models import Agency
from projectoffice.dates import iso_date, required_iso_date
from regions.kato import kato_top
from regions.models import Region, RegionKind

from ..models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    ConceptDirection,
    Indicator,
    Initiative,
    InitiativeStatus,
    ReportingCycle,
    SettlementStage,
)
from ..periods import Month
from ..reference_data import load_indicators, load_reporting_cycles
from ..services.register import alcohol_free_values_sync
from .reports import _open_demo_reports, demo_report_history
from .statistics import (
    DEFAULT_DISTRICTS,
    DemoDistrict,
    DemoOkrug,
    _statistics_import_record,
    _values,
    demo_districts,
    generate_values,
    last_month,
    statistics_rows,
)
from .targets import _targets

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


def _districts(plan: list[DemoDistrict]) -> None:
    """The demo's districts, created when missing, under their first-level region and
    from when it exists. Illustrative: codes of the plan and names such as "District
    No. 3, Abai Region" (the demo villages' districts have theirs); importing the official
    classifier with `import_kato` renames whatever it holds under the same code."""
    named = {chain[0][0]: chain[0][1:] for chain in DEMO_SETTLEMENTS}
    parents = {r.kato: r for r in Region.objects.top_level()}
    there = set(Region.objects.filter(kato__in=[d.kato for d in plan]).values_list("kato", flat=True))
    for district in plan:
        if district.kato in there:
            continue
        parent = parents[district.region]
        city = parent.kind == RegionKind.CITY
        n = district.number
        en, ru, kk = named.get(district.kato) or (
            f"{'City district' if city else 'District'} No. {n}, {parent.name_en}",
            f"Район № {n}, {parent.name_ru}",
            f"№ {n} аудан, {parent.name_kk}",
        )
        Region.objects.create(
            kato=district.kato,
            parent=parent,
            kind=RegionKind.CITY_DISTRICT if city else RegionKind.DISTRICT,
            name_en=en,
            name_ru=ru,
            name_kk=kk,
            valid_from=parent.valid_from,
        )


def demo_okrugs() -> list[DemoOkrug]:
    """The demo villages' okrugs, low in offences from the month after the village's
    decision while it holds (a lapsed one until it lapsed; a decision just declared has
    nothing to show yet)."""
    out = []
    for (district, okrug, _village), (stage, declared, _verified, _sustained, lapsed) in zip(
        DEMO_SETTLEMENTS, SETTLEMENT_STORIES, strict=True
    ):
        low_from = None if stage == SettlementStage.DECLARED else Month.from_date(required_iso_date(declared)).plus(1)
        low_until = Month.from_date(required_iso_date(lapsed)) if lapsed else None
        out.append(DemoOkrug(okrug[0], district[0], low_from, low_until))
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
                "start_date": required_iso_date(declared),
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
                "start_date": required_iso_date(start),
                "status": CampaignStatus.ACTIVE,
            },
        )


@transaction.atomic
def seed_programme(districts: int = DEFAULT_DISTRICTS) -> int:
    """Create what is missing of the demo programme, with `districts` districts shared out
    over the first-level regions by population; returns how many values were written.
    ValueError when the regions cannot have that many (at least one each)."""
    load_indicators(Indicator, Agency)
    load_reporting_cycles(ReportingCycle, Agency)  # every region's gpo branch owes reports
    owner = User.objects.filter(username="office").first()
    regions = list(Region.objects.top_level())
    katos = [r.kato for r in regions]
    plan = demo_districts(katos, districts, keep=[chain[0][0] for chain in DEMO_SETTLEMENTS])
    _districts(plan)
    initiatives = _initiatives(owner)
    _campaigns(initiatives, _settlements())
    generated = generate_values(katos, plan, demo_okrugs())
    written = _values(generated, owner)
    written += alcohol_free_values_sync(user=owner)
    _statistics_import_record(rows=statistics_rows(generated, last_month()))
    _targets(regions)
    demo_report_history(owner)
    _open_demo_reports()
    return written
