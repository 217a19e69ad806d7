"""Reads of the citizen register, already scoped to the reader: branch staff see their
branches' reports (masked), the project office all of them (masked); counts for pages."""

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from agencies.access import branches_of
from agencies.models import Membership, MembershipRole, RegionalBranch

from .models import CitizenReport, CitizenReportStatus, Reward

# The roles whose holders keep their branch's register; the head also decides rewards.
KEEPER_ROLES = (MembershipRole.COORDINATOR, MembershipRole.REGIONAL_HEAD)


def branch_ids_of(user: Any) -> set[int]:
    """The branches whose register the person keeps."""
    return set(branches_of(user, roles=KEEPER_ROLES).values_list("pk", flat=True))


def is_branch_head(user: Any, branch: RegionalBranch) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Membership.objects.active().filter(user=user, branch=branch, role=MembershipRole.REGIONAL_HEAD).exists()


def citizen_reports_kept_by(user: Any) -> QuerySet[CitizenReport] | None:
    """The reports of the user's branches, or None for someone who keeps no register
    (the office reads it in the admin)."""
    ids = branch_ids_of(user)
    if not ids:
        return None
    return CitizenReport.objects.filter(branch_id__in=ids).select_related("branch__agency", "branch__region")


def same_person_count(report: CitizenReport) -> int:
    """Other reports of the same person in the same branch, found by the keyed hash."""
    if not report.iin_hash:
        return 0
    return (
        CitizenReport.objects.filter(branch_id=report.branch_id, iin_hash=report.iin_hash).exclude(pk=report.pk).count()
    )


def register_counts(reports: QuerySet[CitizenReport]) -> dict[str, int]:
    """Received, confirmed, not confirmed, rewarded and money rewards, in one query."""
    return reports.aggregate(
        received=Count("pk"),
        confirmed=Count("pk", filter=Q(status=CitizenReportStatus.CONFIRMED)),
        not_confirmed=Count("pk", filter=Q(status=CitizenReportStatus.NOT_CONFIRMED)),
        rewarded=Count("pk", filter=~Q(reward=Reward.NONE)),
        money=Count("pk", filter=Q(reward=Reward.MONEY)),
    )


def retention_cutoff(today: datetime.date) -> datetime.date:
    """The last decision date whose personal data are past the retention period today."""
    years = settings.CITIZENS_RETENTION_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)
