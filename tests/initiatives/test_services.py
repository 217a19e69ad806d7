import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from initiatives.models import Campaign, Indicator, Value
from initiatives.periods import Period
from initiatives.services.campaigns import campaign_advance_settlement
from initiatives.services.values import value_set, values_approve
from regions.models import Region
from tests.factories import CampaignFactory, RegionFactory, ValueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered() -> Indicator:
    return Indicator.objects.get(code="crime.registered")


def test_setting_a_value_again_replaces_it_and_keeps_the_old_one_in_history(registered: Indicator, office) -> None:
    astana = Region.objects.get(kato="710000000")
    ytd = Period.parse("2025-01/2025-09")
    value_set(indicator=registered, region=astana, period=ytd, value=Decimal(11616), source="import", user=office)
    value_set(indicator=registered, region=astana, period=ytd, value=Decimal(11620), source="import", user=office)

    row = Value.objects.get()
    assert row.value == Decimal(11620)
    assert str(row.period) == "2025-01/2025-09"
    history = list(row.history.values_list("value", "history_user__username"))
    assert history == [(Decimal(11620), "office"), (Decimal(11616), "office")]


def test_an_approved_value_records_who_and_when(registered: Indicator, office) -> None:
    row = value_set(
        indicator=registered,
        region=Region.objects.get(kato="710000000"),
        period=Period.parse("2025-09"),
        value=Decimal(1),
        source="import",
        user=office,
        approved=True,
    )
    assert (row.approval_state, row.approved_by) == ("approved", office)
    assert row.approved_at is not None


@pytest.mark.parametrize(
    ("code", "kato", "period", "value", "message"),
    [
        ("crime.registered", "710000000", "2025-09", Decimal(-1), "cannot be negative"),
        ("crime.registered_per_10k", "710000000", "2025-09", Decimal(5), "computed from its formula"),
        ("crime.registered", "620000000", "2022-01", Decimal(5), "exists only from 2022-06-08"),
    ],
)
def test_a_value_that_cannot_be_right_is_refused_with_the_reason(
    code: str, kato: str, period: str, value: Decimal, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        value_set(
            indicator=Indicator.objects.get(code=code),
            region=Region.objects.get(kato=kato),
            period=Period.parse(period),
            value=value,
            source="manual",
            user=None,
        )
    assert message in " ".join(info.value.messages)
    assert not Value.objects.exists()


def test_a_region_that_ceased_is_named_with_its_date(registered: Indicator) -> None:
    village = RegionFactory(valid_to=datetime.date(2024, 12, 31))
    with pytest.raises(ValidationError, match="ceased to exist on 2024-12-31"):
        value_set(
            indicator=registered,
            region=village,
            period=Period.parse("2025"),
            value=Decimal(1),
            source="manual",
            user=None,
        )


def test_approving_values_skips_those_already_approved(office) -> None:
    pending = ValueFactory(approved=False)
    done = ValueFactory(approval_state="approved", approved_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))

    assert values_approve(versions={v.pk: v.version for v in Value.objects.all()}, user=office).approved == 1

    pending.refresh_from_db()
    done.refresh_from_db()
    assert (pending.approval_state, pending.approved_by) == ("approved", office)
    assert done.approved_at == datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    assert pending.history.first().history_user == office


@pytest.fixture
def declared_village() -> Campaign:
    village = RegionFactory()
    return CampaignFactory(
        kind="alcohol_free", region=village, settlement_stage="declared", declared_on=datetime.date(2025, 5, 12)
    )


def test_a_village_goes_from_declared_to_verified_to_sustained(declared_village: Campaign, office) -> None:
    campaign_advance_settlement(
        campaign=declared_village,
        stage="verified",
        on_date=datetime.date(2025, 6, 20),
        evidence="inspection act 14",
        user=office,
    )
    campaign = campaign_advance_settlement(
        campaign=declared_village, stage="sustained", on_date=datetime.date(2026, 5, 12), user=office
    )
    assert campaign.settlement_stage == "sustained"
    assert (campaign.verified_on, campaign.sustained_on) == (datetime.date(2025, 6, 20), datetime.date(2026, 5, 12))
    assert "2025-06-20: inspection act 14" in campaign.evidence
    stages = list(campaign.history.values_list("settlement_stage", "history_user__username"))
    assert stages == [("sustained", "office"), ("verified", "office"), ("declared", None)]


@pytest.mark.parametrize(
    ("stage", "on_date", "message"),
    [
        ("sustained", "2025-07-01", "cannot become sustained"),
        ("declared", "2025-07-01", "cannot become declared"),
        ("verified", "2025-05-01", "before the settlement's previous stage, on 2025-05-12"),
    ],
)
def test_a_stage_out_of_order_is_refused(declared_village: Campaign, stage: str, on_date: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        campaign_advance_settlement(
            campaign=declared_village, stage=stage, on_date=datetime.date.fromisoformat(on_date), user=None
        )
    declared_village.refresh_from_db()
    assert declared_village.settlement_stage == "declared"


def test_a_lapsed_village_stays_lapsed(declared_village: Campaign) -> None:
    campaign_advance_settlement(campaign=declared_village, stage="lapsed", on_date=datetime.date(2025, 9, 1), user=None)
    with pytest.raises(ValidationError, match="cannot become verified"):
        campaign_advance_settlement(
            campaign=declared_village, stage="verified", on_date=datetime.date(2025, 10, 1), user=None
        )


def test_only_alcohol_free_campaigns_have_stages() -> None:
    with pytest.raises(ValidationError, match="Only alcohol-free settlements"):
        campaign_advance_settlement(
            campaign=CampaignFactory(), stage="verified", on_date=datetime.date(2025, 10, 1), user=None
        )


def test_an_official_imported_figure_cannot_be_overwritten_by_hand(registered: Indicator) -> None:
    astana = Region.objects.get(kato="710000000")
    value_set(
        indicator=registered, region=astana, period=Period.parse("2025-09"), value=Decimal(1300), source="import",
        user=None, approved=True,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="official figure from the legal-statistics import"):
        value_set(
            indicator=registered,
            region=astana,
            period=Period.parse("2025-09"),
            value=Decimal(1),
            source="report",
            user=None,
        )
    assert Value.objects.get().value == 1300
