import datetime
import random
from decimal import Decimal
from typing import Any

import factory
import time_machine
from django.contrib.auth import get_user_model
from simple_history.utils import bulk_create_with_history

from agencies.models import Agency, AgencyKind, Membership, MembershipRole, RegionalBranch
from initiatives.models import ApprovalState, Indicator, Release, Report, Value, ValueSource
from initiatives.periods import Month, Period
from initiatives.services.releases import release_confirm, release_publish
from initiatives.services.reports import report_create, report_reopen, report_save, report_submit
from regions.models import Region, RegionKind

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.kz")
    password = factory.django.Password(PASSWORD)


class RegionFactory(factory.django.DjangoModelFactory):
    """A settlement straight under Astana by default; pass `kato` and `parent` for other places."""

    class Meta:
        model = Region

    kato = factory.Sequence(lambda n: f"719{n + 1:06d}")
    parent = factory.LazyFunction(lambda: Region.objects.get(kato="710000000"))
    kind = RegionKind.SETTLEMENT
    name_kk = factory.Sequence(lambda n: f"Ауыл {n}")
    name_ru = factory.Sequence(lambda n: f"Село {n}")
    name_en = factory.Sequence(lambda n: f"Village {n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"agency{n}")
    kind = AgencyKind.STATE_AGENCY
    name_kk = factory.Sequence(lambda n: f"Агенттік {n}")
    name_ru = factory.Sequence(lambda n: f"Агентство {n}")
    name_en = factory.Sequence(lambda n: f"Agency {n}")


class RegionalBranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionalBranch

    agency = factory.SubFactory(AgencyFactory)
    region = factory.LazyFunction(lambda: Region.objects.get(kato="710000000"))


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    branch = factory.SubFactory(RegionalBranchFactory)
    role = MembershipRole.COORDINATOR


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "initiatives.Indicator"

    code = factory.Sequence(lambda n: f"test.kpi_{n}")
    name_kk = factory.Sequence(lambda n: f"Көрсеткіш {n}")
    name_ru = factory.Sequence(lambda n: f"Показатель {n}")
    name_en = factory.Sequence(lambda n: f"Indicator {n}")
    unit = "count"
    direction = "lower"
    source = "statistics"
    owner_agency = factory.LazyFunction(lambda: Agency.objects.get(code="kpssu"))


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "initiatives.Initiative"

    code = factory.Sequence(lambda n: f"initiative-{n}")
    name_kk = factory.Sequence(lambda n: f"Бастама {n}")
    name_ru = factory.Sequence(lambda n: f"Инициатива {n}")
    name_en = factory.Sequence(lambda n: f"Initiative {n}")
    direction = "prevention"
    lead_agency = factory.LazyFunction(lambda: Agency.objects.get(code="gpo"))
    start_date = datetime.date(2025, 4, 1)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "initiatives.Campaign"

    initiative = factory.SubFactory(InitiativeFactory)
    kind = "legal_literacy"
    region = factory.LazyFunction(lambda: Region.objects.get(kato="710000000"))
    name_kk = factory.Sequence(lambda n: f"Акция {n}")
    name_ru = factory.Sequence(lambda n: f"Акция {n}")
    name_en = factory.Sequence(lambda n: f"Campaign {n}")
    start_date = datetime.date(2025, 9, 1)


class ValueFactory(factory.django.DjangoModelFactory):
    """A value, approved unless `approved=False`: by default of a new KPI for Astana in
    September 2025. `kpi` and `kato` name a KPI and a region by their codes; `period` is a
    Period or its text ("2025-09", "2025-Q3", "2024")."""

    class Meta:
        model = "initiatives.Value"

    class Params:
        kpi: str | None = None
        kato = "710000000"
        period: Any = None
        approved = True

    indicator = factory.LazyAttribute(lambda o: Indicator.objects.get(code=o.kpi) if o.kpi else IndicatorFactory())
    region = factory.LazyAttribute(lambda o: Region.objects.get(kato=o.kato))
    period_start = factory.LazyAttribute(
        lambda o: _period(o.period).first_day if o.period else datetime.date(2025, 9, 1)
    )
    period_end = factory.LazyAttribute(lambda o: _period(o.period).end.first_day if o.period else o.period_start)
    value = Decimal(100)
    source = "import"
    approval_state = factory.LazyAttribute(lambda o: "approved" if o.approved else "pending")
    approved_at = factory.LazyAttribute(lambda o: APPROVED_AT if o.approved else None)

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs["value"] = Decimal(str(kwargs["value"]))  # 5, "92.5" and Decimal alike
        return kwargs


# When the values the tests make were approved: a fixed moment, as an import would set it.
APPROVED_AT = datetime.datetime(2025, 10, 15, 10, 0, tzinfo=datetime.UTC)


def _period(period: Any) -> Period:
    return period if isinstance(period, Period) else Period.parse(period)


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A real, small PNG: evidence is checked by decoding it."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, "PNG")
    return out.getvalue()


# --- Builders of whole data sets: rows written in bulk, for the engine's and releases' tests.

# When the imported values of `value` were approved.
IMPORT_APPROVED_AT = datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC)
MONTHS = [Month(2024, 1).plus(i) for i in range(24)]  # 2024-01 .. 2025-12
# When `offence_months` writes its values' history.
T0 = datetime.datetime(2026, 7, 10, 9, 0, tzinfo=datetime.UTC)
GRAVITY = ("crime.minor", "crime.medium", "crime.grave", "crime.especially_grave")
# Regional year-to-date figures for January-September, shares of a national total.
HEADLINE_2025 = [5310, 4020, 3870, 5980, 4150, 3600, 4420, 2960, 6120, 3890,
                 3350, 3980, 4210, 2870, 6840, 1240, 3960, 9180, 12330, 6220]  # fmt: skip
HEADLINE_2024 = [5720, 4350, 4110, 6450, 4400, 3860, 4760, 3150, 6500, 4180,
                 3600, 4230, 4520, 3080, 7310, 1330, 4260, 9870, 13170, 6723]  # fmt: skip


def districts(per_region: int, *, start: int = 1) -> list[Region]:
    """`per_region` districts under each of the 20 first-level regions."""
    out = []
    for top in Region.objects.filter(level=1).order_by("kato"):
        for d in range(start, start + per_region):
            out.append(RegionFactory(kato=f"{top.kato[:2]}{d:02d}00000", parent=top, kind=RegionKind.DISTRICT))
    return out


def value(code: str, region: Region, period: Period, number: int | str, *, approved: bool = True) -> Value:
    row = Value(
        indicator=Indicator.objects.get(code=code),
        region=region,
        value=Decimal(number),
        source=ValueSource.IMPORT,
        approval_state=ApprovalState.APPROVED if approved else ApprovalState.PENDING,
        approved_at=IMPORT_APPROVED_AT if approved else None,
    )
    row.period = period
    return row


def offence_months(seed: int, months: list[Month], *, small: float = 0.3, tiny: tuple[str, ...] = ()) -> None:
    """Form 1-M by region and month, consistent as it is (gravity classes add up to crimes,
    crimes and misdemeanours to the total, internet fraud is part of fraud), with many
    small counts; written with their history at T0."""
    rng = random.Random(seed)
    rows = []
    for region in Region.objects.filter(level=1).order_by("kato"):
        for m in months:

            def count() -> int:
                return rng.randint(0, 3) if rng.random() < small else rng.randint(4, 40)

            gravity = {code: rng.randint(0, 2) if code in tiny else count() for code in GRAVITY}
            crimes = sum(gravity.values())
            misdemeanours = count()
            fraud = count()
            numbers = {
                **gravity,
                "crime.crimes": crimes,
                "crime.misdemeanours": misdemeanours,
                "crime.registered": crimes + misdemeanours,
                "crime.fraud": fraud,
                "crime.internet_fraud": rng.randint(0, min(fraud, 2))
                if "crime.internet_fraud" in tiny
                else rng.randint(0, fraud),
            }
            rows += [value(code, region, Period(m, m), n) for code, n in numbers.items()]
    bulk_create_with_history(rows, Value, default_date=T0 - datetime.timedelta(days=1))


def year_months(year: int, last: int) -> list[Month]:
    return [Month(year, m) for m in range(1, last + 1)]


def published(period: str, who: Any, confirmer: Any, title: str = "") -> Release:
    """A release of `period` published by `who` at T0 and confirmed by `confirmer`."""
    with time_machine.travel(T0, tick=True):
        release = release_publish(period=Period.parse(period), title=title, user=who)
        return release_confirm(release=release, user=confirmer)


# --- Reports handed in at given moments, for the tests of who is on time.


def at(day: str) -> time_machine.travel:
    """The clock stopped at 09:00 in Astana on `day` (an ISO date)."""
    return time_machine.travel(datetime.datetime.fromisoformat(day + "T09:00:00+05:00"), tick=False)


def monthly_submitted(branch: RegionalBranch, period: str, when: str, user: Any, office: Any = None) -> Report:
    """A monthly report submitted at `when`; after its due date the office reopens it first,
    as it must for a late report to be handed in at all."""
    span = Period.parse(period)
    with at(str(span.end.plus(1).first_day)):
        report = report_create(branch=branch, kind="monthly", period=span, user=user)
    with at(when):
        if office is not None:
            report = report_reopen(report=report, user=office)
        kpi = Indicator.objects.get(code="events.legal_literacy")
        report = report_save(
            report=report, version=report.version, values={kpi: (Decimal(3), "")}, narrative="", user=user
        )
        return report_submit(report=report, version=report.version, user=user)


def stored_forecast(
    indicator: Indicator,
    *,
    origin: str = "2026-10",
    regions: list[Region] | None = None,
    level_of_nodes: dict[int, int] | None = None,
    monthly: dict[int | None, float] | None = None,
    as_of: datetime.datetime | None = None,
    relative_mae: float = 0.8,
) -> Any:
    """A finished forecast run of `indicator` at `origin`, as a run's job stores it, with
    its calibration backtest: the nation and `regions` (first-level ones by default: the
    nation's figure is the sum of theirs), each forecast at `monthly[region_id]` a month
    (the nation's at the sum), ranges of ±10% and ±20%, year-ends, and backtest scores
    whose relative MAE is `relative_mae` at every level and horizon. Coherent by
    construction; for the tests of the readers (API, pages), not of the fitting."""
    from django.utils import timezone

    from initiatives.models import (
        BacktestScore,
        ForecastKind,
        ForecastPoint,
        ForecastRun,
        ForecastStatus,
        ForecastTrigger,
        ForecastYearEnd,
    )

    month = Month(int(origin[:4]), int(origin[5:7]))
    moment = as_of or timezone.now()
    regions = regions if regions is not None else list(Region.objects.filter(level=1).order_by("kato")[:3])
    monthly = monthly or {}
    own = {r.pk: Decimal(str(monthly.get(r.pk, 100.0 + 10 * i))) for i, r in enumerate(regions)}
    levels = level_of_nodes or {r.pk: (1 if r.level == 1 else 2) for r in regions}
    nation = sum((own[r.pk] for r in regions if levels[r.pk] == 1), Decimal(0))
    backtest = ForecastRun.objects.create(
        indicator=indicator,
        kind=ForecastKind.BACKTEST,
        status=ForecastStatus.DONE,
        origin=month.first_day,
        as_of=moment,
        origins=12,
        trigger=ForecastTrigger.COMMAND,
        method="mint_shrink",
        started_at=moment,
        finished_at=moment,
        detail={"year_end": {str(level): {"mint_shrink": 10.0, "estimate": 20.0, "count": 12} for level in (0, 1, 2)}},
    )
    run = ForecastRun.objects.create(
        indicator=indicator,
        kind=ForecastKind.FORECAST,
        status=ForecastStatus.DONE,
        origin=month.first_day,
        as_of=moment,
        trigger=ForecastTrigger.COMMAND,
        calibration=backtest,
        method="mint_shrink",
        started_at=moment,
        finished_at=moment,
        series=1 + len(regions),
    )
    nodes: list[tuple[Region | None, int, Decimal]] = [(None, 0, nation)] + [
        (r, levels[r.pk], own[r.pk]) for r in regions
    ]
    points, ends = [], []
    two = Decimal("0.01")
    for region, level, number in nodes:
        for horizon in range(1, 13):
            points.append(
                ForecastPoint(
                    run=run,
                    region=region,
                    level=level,
                    period=month.plus(horizon).first_day,
                    horizon=horizon,
                    value=number,
                    lower_80=(number * Decimal("0.9")).quantize(two),
                    upper_80=(number * Decimal("1.1")).quantize(two),
                    lower_95=(number * Decimal("0.8")).quantize(two),
                    upper_95=(number * Decimal("1.2")).quantize(two),
                    benchmark=(number * Decimal("1.05")).quantize(two),
                )
            )
        left = 12 - month.month if month.month < 12 else 12
        actual = number * (12 - left)
        value_ = actual + number * left
        ends.append(
            ForecastYearEnd(
                run=run,
                region=region,
                level=level,
                year=month.plus(1).year,
                months_left=left,
                actual_to_origin=actual,
                value=value_,
                lower_80=(value_ - number * left * Decimal("0.1")).quantize(two),
                upper_80=(value_ + number * left * Decimal("0.1")).quantize(two),
                lower_95=(value_ - number * left * Decimal("0.2")).quantize(two),
                upper_95=(value_ + number * left * Decimal("0.2")).quantize(two),
                benchmark=(value_ * Decimal("1.02")).quantize(two),
                errors=[(k - 10) / 10 for k in range(21)],
                scale=float(number) * left / 10 or 1.0,
            )
        )
    ForecastPoint.objects.bulk_create(points)
    ForecastYearEnd.objects.bulk_create(ends)
    scores = []
    for back in range(1, 13):
        b = month.plus(-back)
        for level in (0, 1, 2):
            for horizon in range(1, 13):
                if b.plus(horizon).index > month.index:
                    continue
                for method, ratio in (("mint_shrink", relative_mae), ("seasonal_naive", 1.0)):
                    scores.append(
                        BacktestScore(
                            run=backtest,
                            indicator=indicator,
                            origin=b.first_day,
                            level=level,
                            horizon=horizon,
                            method=method,
                            count=10,
                            abs_error_sum=100.0 * ratio,
                            benchmark_abs_error_sum=100.0,
                            scaled_abs_error_sum=10.0 * ratio,
                            error_sum=1.0,
                            ranged=10,
                            inside_80=8,
                            inside_95=10,
                        )
                    )
    BacktestScore.objects.bulk_create(scores)
    return run


# --- Early warning: detection runs and the alerts they raise ------------------------------


class DetectionRunFactory(factory.django.DjangoModelFactory):
    """A finished detection run of a month (`period`: "2026-11" or a date), national."""

    class Meta:
        model = "initiatives.DetectionRun"

    class Params:
        month = "2026-11"

    period = factory.LazyAttribute(lambda o: Period.parse(o.month).start.first_day)
    status = "done"
    trigger = "command"
    budget_series = 400
    tested = 380
    skipped = 20
    finished_at = factory.LazyFunction(lambda: datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.UTC))


def alert_chart(month: Month, observed: Decimal, expected: Decimal, upper: Decimal) -> dict[str, Any]:
    """The 24 months ending at the alert's month, as detection stores them for its chart:
    the series near what was expected, the last month at `observed`, one gap a year back."""
    months = [month.plus(k - 23) for k in range(24)]
    wobble = [Decimal(k % 5 - 2) for k in range(24)]
    seen: list[float | None] = [float(expected + w) for w in wobble[:-1]] + [float(observed)]
    seen[11] = None
    band = upper - expected
    return {
        "months": [str(m) for m in months],
        "observed": seen,
        "expected": [float(expected)] * 24,
        "lower": [float(expected - band)] * 24,
        "upper": [float(upper)] * 24,
    }


class AlertFactory(factory.django.DjangoModelFactory):
    """An unexpected rise of offences registered in Astana in November 2026, 412 against
    300 expected (upper 368); `kpi`, `kato` and `month` name them by their codes."""

    class Meta:
        model = "initiatives.Alert"

    class Params:
        kpi = "crime.registered"
        kato = "710000000"
        month = "2026-11"

    indicator = factory.LazyAttribute(lambda o: Indicator.objects.get(code=o.kpi))
    region = factory.LazyAttribute(lambda o: Region.objects.get(kato=o.kato))
    period = factory.LazyAttribute(lambda o: Period.parse(o.month).start.first_day)
    kind = "single"
    adverse = "rise"
    observed = Decimal(412)
    expected = Decimal(300)
    lower = Decimal(240)
    upper = Decimal(368)
    p_value = 0.0004
    model = "glm"
    raised_at = factory.LazyFunction(lambda: datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.UTC))
    chart = factory.LazyAttribute(
        lambda o: alert_chart(Period.parse(o.month).start, Decimal(o.observed), Decimal(o.expected), Decimal(o.upper))
    )
