"""Demo data for a new installation: branches in every region and the three demo users.

Everything here is idempotent: running it again changes nothing that is already right.
"""

import secrets
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.db import transaction

from regions.models import Region
from regions.reference_data import load_first_level_regions

from .models import Agency, Membership, MembershipRole, RegionalBranch
from .reference_data import load_agencies
from .roles import COORDINATORS_GROUP, PROJECT_OFFICE_GROUP, sync_role_groups
from .services import account_change_logged

# The agencies with an office in every first-level region.
AGENCIES_IN_EVERY_REGION = ("gpo", "mvd", "akimats")
# (username, KATO of the region, first name, last name); the project office has no region.
DEMO_COORDINATORS = (
    ("coordinator.astana", "710000000", "Aigerim", "Nurlanova"),
    ("coordinator.almaty", "750000000", "Daniyar", "Seitkali"),
)
OFFICE_USER = ("office", "Asel", "Zhumabekova")
# A second member of the office: a release goes out only when someone other than its
# publisher confirms it.
OFFICE_DEPUTY = ("office.deputy", "Daniyar", "Seitkali")


@dataclass
class DemoResult:
    new_passwords: dict[str, str] = field(default_factory=dict)


def _user(username: str, first_name: str, last_name: str, password: str | None, result: DemoResult) -> User:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.kz"},
    )
    if created:
        account_change_logged(account=user, change="Added.", command="seed_demo", added=True)
    if password:
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            account_change_logged(account=user, change="Changed password.", command="seed_demo")
    elif created:
        generated = secrets.token_urlsafe(12)
        user.set_password(generated)
        user.save(update_fields=["password"])
        result.new_passwords[username] = generated
        account_change_logged(account=user, change="Changed password.", command="seed_demo")
    return user


def _group_granted(user: User, group: Group) -> None:
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
        account_change_logged(account=user, change=f"Added group “{group.name}”.", command="seed_demo")


@transaction.atomic
def seed_reference_and_people(*, password: str | None) -> DemoResult:
    result = DemoResult()
    load_first_level_regions(Region)
    load_agencies(Agency)
    sync_role_groups()

    regions = list(Region.objects.top_level())
    for agency in Agency.objects.filter(code__in=AGENCIES_IN_EVERY_REGION):
        existing = set(agency.branches.values_list("region_id", flat=True))
        for region in regions:
            if region.pk not in existing:
                RegionalBranch.objects.create(agency=agency, region=region)

    for who in (OFFICE_USER, OFFICE_DEPUTY):
        office = _user(*who, password=password, result=result)
        if not office.is_staff:
            office.is_staff = True
            office.save(update_fields=["is_staff"])
        _group_granted(office, Group.objects.get(name=PROJECT_OFFICE_GROUP))

    coordinators = Group.objects.get(name=COORDINATORS_GROUP)
    for username, kato, first_name, last_name in DEMO_COORDINATORS:
        user = _user(username, first_name, last_name, password=password, result=result)
        _group_granted(user, coordinators)
        branch = RegionalBranch.objects.get(agency__code="gpo", region__kato=kato)
        Membership.objects.get_or_create(user=user, branch=branch, role=MembershipRole.COORDINATOR)
    return result
