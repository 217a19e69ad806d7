import pytest
from django.contrib.auth import get_user_model

from agencies.demo import seed_reference_and_people
from agencies.models import Agency, Membership, RegionalBranch
from regions.models import Region


def state() -> dict[str, object]:
    """Everything seed_demo writes, with its history, as comparable values."""
    user_model = get_user_model()
    return {
        "regions": list(Region.objects.values_list("kato", "name_ru")),  # population: KPI values, not seeded here
        "agencies": list(
            Agency.objects.values_list("code", "name_ru", "parent__code", "predecessor__code", "is_active")
        ),
        "branches": list(RegionalBranch.objects.values_list("agency__code", "region__kato")),
        "users": list(user_model.objects.order_by("username").values_list("username", "is_staff", "password")),
        "groups": list(user_model.objects.order_by("username").values_list("username", "groups__name")),
        "memberships": list(Membership.objects.values_list("user__username", "branch__region__kato", "role")),
        "history": (Region.history.count(), Agency.history.count(), RegionalBranch.history.count()),
    }


@pytest.mark.django_db
def test_running_it_twice_gives_the_same_data() -> None:
    seed_reference_and_people(password="demo-pass-1")
    first = state()
    seed_reference_and_people(password="demo-pass-1")
    assert state() == first


@pytest.mark.django_db
def test_it_creates_the_four_demo_users_in_their_roles() -> None:
    seed_reference_and_people(password="demo-pass-1")
    user_model = get_user_model()

    for username in ("office", "office.deputy"):  # the deputy confirms what the office publishes
        office = user_model.objects.get(username=username)
        assert office.is_staff and office.check_password("demo-pass-1")
        assert list(office.groups.values_list("name", flat=True)) == ["Project office"]

    for username, kato in (("coordinator.astana", "710000000"), ("coordinator.almaty", "750000000")):
        user = user_model.objects.get(username=username)
        assert not user.is_staff
        assert [m.region.kato for m in Membership.objects.filter(user=user)] == [kato]


@pytest.mark.django_db
def test_every_region_has_a_prosecutors_police_and_akimat_branch() -> None:
    seed_reference_and_people(password="demo-pass-1")
    for code in ("gpo", "mvd", "akimats"):
        assert RegionalBranch.objects.filter(agency__code=code).count() == 20


@pytest.mark.django_db
def test_without_a_password_new_users_get_a_random_one_printed_once() -> None:
    first = seed_reference_and_people(password=None)
    assert sorted(first.new_passwords) == ["coordinator.almaty", "coordinator.astana", "office", "office.deputy"]
    user = get_user_model().objects.get(username="office")
    assert user.check_password(first.new_passwords["office"])
    again = seed_reference_and_people(password=None)
    assert again.new_passwords == {}
    user.refresh_from_db()
    assert user.check_password(first.new_passwords["office"])
