import datetime
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model

from agencies.models import Agency, AgencyKind, Membership, MembershipRole, RegionalBranch
from initiatives.models import Indicator
from initiatives.periods import Period
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
