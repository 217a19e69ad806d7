"""Writes of KPI values. Every write keeps the old number in history."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from agencies.access import is_project_office
from regions.models import Region

from ..engine.rollups import rollups_refresh_later
from ..models import ApprovalState, Indicator, Report, Value, ValueSource
from ..periods import Period, PeriodNotOver


@transaction.atomic
def value_set(
    *,
    indicator: Indicator,
    region: Region,
    period: Period,
    value: Decimal,
    source: str,
    user: User | None,
    approved: bool = False,
    comment: str = "",
    report: Report | None = None,
) -> Value:
    """Record `value` for (indicator, region, period), replacing any earlier number."""
    if value < 0:
        raise ValidationError(_("a KPI value cannot be negative (got %(value)s)") % {"value": value})
    if not period.is_over(timezone.localdate()):
        raise ValidationError(str(PeriodNotOver(period)))
    row = Value.objects.select_for_update().filter(indicator=indicator, region=region).for_period(period).first()
    if row is None:
        row = Value(indicator=indicator, region=region)
        row.period = period
    elif (
        row.source == ValueSource.IMPORT
        and row.approval_state == ApprovalState.APPROVED
        and source != ValueSource.IMPORT
    ):
        raise ValidationError(
            _(
                "%(code)s for %(region)s, %(period)s is an official figure from the legal-statistics import; "
                "it is corrected by importing, not by hand"
            )
            % {"code": indicator.code, "region": region.kato, "period": period}
        )
    row.value = value
    row.source = source
    row.comment = comment
    row.report = report
    if approved:
        row.approval_state, row.approved_at, row.approved_by = ApprovalState.APPROVED, timezone.now(), user
    else:
        row.approval_state, row.approved_at, row.approved_by = ApprovalState.PENDING, None, None
    row._history_user = user  # type: ignore[attr-defined]
    # Runs Value.clean: no formula KPI, region alive during the period.
    row.full_clean(exclude=["approved_by"], validate_unique=False, validate_constraints=False)
    row.save()
    rollups_refresh_later([indicator.pk])
    return row


class StaleValueError(ValidationError):
    """The value changed since the person opened it; nothing was written."""


def _stale(row: Value) -> StaleValueError:
    return StaleValueError(
        _(
            "The value of %(code)s for %(region)s, %(period)s changed after you opened it (it is now %(number)s): "
            "nothing was done with it; reload the page and check it again."
        )
        % {
            "code": row.indicator.code,
            "region": row.region.kato,
            "period": row.period,
            "number": f"{row.value.normalize():f}",
        }
    )


@transaction.atomic
def value_check_version(*, value: Value, version: str) -> Value:
    """Lock the value for the rest of the caller's transaction, if it is still the version
    the person saw (`Value.version`); two people editing one value: the second is refused."""
    row = Value.objects.select_for_update(of=("self",)).select_related("indicator", "region").get(pk=value.pk)
    if row.version != version:
        raise _stale(row)
    return row


@dataclass
class ValuesApproval:
    approved: int = 0
    stale: list[StaleValueError] = field(default_factory=list)


@transaction.atomic
def values_approve(*, versions: Mapping[int, str], user: User) -> ValuesApproval:
    """Approve the values (by id) still at the version the approver saw (`Value.version`)
    and still pending. A value changed since is not approved: its error is in `stale`."""
    if not is_project_office(user):
        raise PermissionDenied(_("Only the project office approves values."))
    now = timezone.now()
    outcome = ValuesApproval()
    pending = []
    # Locked in id order, so two approvers of overlapping lists cannot deadlock.
    rows = Value.objects.select_for_update(of=("self",)).filter(pk__in=list(versions)).order_by("pk")
    for row in rows.select_related("indicator", "region"):
        if row.version != versions[row.pk]:
            outcome.stale.append(_stale(row))
        elif row.approval_state != ApprovalState.APPROVED:
            pending.append(row)
    for row in pending:
        row.approval_state, row.approved_at, row.approved_by, row.updated_at = ApprovalState.APPROVED, now, user, now
    bulk_update_with_history(
        pending,
        Value,
        ["approval_state", "approved_at", "approved_by", "updated_at"],
        default_user=user,
    )
    rollups_refresh_later(v.indicator_id for v in pending)
    outcome.approved = len(pending)
    return outcome
