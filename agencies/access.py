"""Who may see what: the project office sees everything, a coordinator their own
region(s) and everything below, an agency token what its scopes allow.

These are selectors: they answer with querysets and filters, and views apply them.
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Q, QuerySet

from regions.kato import kato_prefix
from regions.models import Region

from .models import Membership, RegionalBranch
from .roles import PROJECT_OFFICE_GROUP
from .tokens import is_agency_caller

# Any queryset: scoping keeps its class, so a QuerySet's own methods still apply after it.
Scoped = TypeVar("Scoped", bound=QuerySet[Any])


def is_project_office(user: Any) -> bool:
    """Active staff of the project office (or an active superuser). Cached on the user for
    the request. A deactivated account is no one's: the command line, which takes a
    username rather than a log-in, would otherwise still act in its name."""
    if is_agency_caller(user) or not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "is_active", False):
        return False
    if not hasattr(user, "_is_project_office"):
        user._is_project_office = user.is_superuser or (
            user.is_staff and user.groups.filter(name=PROJECT_OFFICE_GROUP).exists()
        )
    return bool(user._is_project_office)


def may_read(user: Any, scope: str) -> bool:
    """May this caller read what `scope` names: the project office and coordinators (their
    rows are then scoped by region), and agency tokens holding the scope."""
    if is_agency_caller(user):
        return bool(user.allows(scope))
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return is_project_office(user) or bool(coordinator_regions(user))


def coordinator_regions(user: Any) -> list[Region]:
    """The regions a person coordinates (through active memberships). Cached per request."""
    if is_agency_caller(user) or not getattr(user, "is_authenticated", False):
        return []
    if not hasattr(user, "_coordinator_regions"):
        user._coordinator_regions = [
            m.branch.region for m in Membership.objects.active().filter(user=user).select_related("branch__region")
        ]
    return list(user._coordinator_regions)


def branches_of(user: Any, roles: Iterable[str] | None = None) -> QuerySet[RegionalBranch]:
    """The branches a person works in through active memberships (in `roles`, if given),
    each once, in the branches' order; none for an anonymous caller or an agency token.
    The project office keeps no branch's work: the pages that treat it apart say so."""
    if is_agency_caller(user) or not getattr(user, "is_authenticated", False):
        return RegionalBranch.objects.none()
    memberships = Membership.objects.active().filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return RegionalBranch.objects.filter(pk__in=memberships.values("branch_id")).select_related("agency", "region")


def within_regions(regions: list[Region], field: str = "region") -> Q:
    """A filter for rows whose region is one of `regions` or below it; matches nothing
    for an empty list."""
    condition = Q(pk__in=[])
    for region in regions:
        condition |= Q(**{f"{field}__kato__startswith": kato_prefix(region.kato), f"{field}__level__gte": region.level})
    return condition


def region_is_visible(user: Any, region: Region | None) -> bool:
    """May this caller read figures of `region` (None: the whole country)?"""
    if is_project_office(user) or is_agency_caller(user):
        return True
    mine = coordinator_regions(user)
    if region is None:
        return False
    return any(region.kato.startswith(kato_prefix(r.kato)) and region.level >= r.level for r in mine)


def scoped_to_user(queryset: Scoped, user: Any, field: str = "region") -> Scoped:
    """Rows of `queryset` this caller may read, by their region."""
    if is_project_office(user) or is_agency_caller(user):
        return queryset
    return queryset.filter(within_regions(coordinator_regions(user), field))
