"""Writes of KPI values. Every write keeps the old number in history (a value the
statistics import created gets its first version written just before, `value_history.py`)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import is_project_office
from projectoffice.audit import audited
from regions.models import Region

from ..models import ApprovalState, Indicator, Report, Value, ValueSource
from ..periods import Period, PeriodNotOver
from .figures import rollups_refresh_later
from .value_history import values_bulk_update_with_history


class ValueExists(ValidationError):
    """An add for a KPI, region and period that has a value already; nothing was written."""

    def __init__(self, row: Value) -> None:
        super().__init__(
            _("%(kpi)s for %(region)s, %(period)s already has a value: %(value)s. Nothing was saved.")
            % {
                "kpi": row.indicator.name,
                "region": row.region,
                "period": row.period,
                "value": row.indicator.shown(row.value),
            },
            code="value_exists",
        )
        self.row = row


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
    value_id: int | None = None,
    version: str | None = None,
) -> Value:
    """Record `value` for (indicator, region, period).

    `version` is what the person saw: None replaces any earlier number (an import, a
    report's approval); "" says they saw none (an add), and a value already there is
    refused (`ValueExists`); else the value must still be at that version (`Value.version`),
    or `StaleValueError`. With `value_id` they edited that value (moved to this key if it
    was elsewhere, refused if another value holds the key); an edit that leaves the number
    as it was keeps its approval."""
    if value < 0:
        raise ValidationError(_("a KPI value cannot be negative (got %(value)s)") % {"value": value})
    if not period.is_over(timezone.localdate()):
        raise ValidationError(str(PeriodNotOver(period)))
    at_key = Value.objects.select_for_update().filter(indicator=indicator, region=region).for_period(period)
    if value_id is not None:
        row = value_check_version(value=Value(pk=value_id), version=version or "")
        taken = at_key.exclude(pk=value_id).select_related("indicator", "region").first()
        if taken is not None:
            raise ValueExists(taken)
    else:
        found = at_key.select_related("indicator", "region").first()
        if found is not None and version == "":
            raise ValueExists(found)
        if found is not None and version and found.version != version:
            raise _stale(found)
        row = found or Value()
    if row.is_official and source != ValueSource.IMPORT:
        raise ValidationError(_official(row))
    keeps_approval = value_id is not None and not approved and row.value == value
    moved_from = row.indicator_id if row.pk else indicator.pk
    row.indicator, row.region, row.period = indicator, region, period
    row.value = value
    row.source = source
    row.comment = comment
    row.report = report
    if approved:
        row.approval_state, row.approved_at, row.approved_by = ApprovalState.APPROVED, timezone.now(), user
    elif not keeps_approval:
        row.approval_state, row.approved_at, row.approved_by = ApprovalState.PENDING, None, None
    audited(row, user)
    # Runs Value.clean: no formula KPI, region alive during the period.
    row.full_clean(exclude=["approved_by"], validate_unique=False, validate_constraints=False)
    row.save()
    rollups_refresh_later(sorted({moved_from, indicator.pk}))
    return row


def _official(row: Value) -> str:
    return _(
        "%(code)s for %(region)s, %(period)s is an official figure from the legal-statistics import; "
        "it is corrected by importing, not by hand"
    ) % {"code": row.indicator.code, "region": row.region.kato, "period": row.period}


@transaction.atomic
def value_delete(*, value: Value, user: User | None, version: str | None = None) -> None:
    """Delete a value, in its history as `user`'s; with `version`, only if it is still the
    version the person saw. An official figure is not deleted by hand: an import replaces it."""
    if version is not None:
        row = value_check_version(value=value, version=version)
    else:
        row = Value.objects.select_for_update(of=("self",)).select_related("indicator", "region").get(pk=value.pk)
    if row.is_official:
        raise PermissionDenied(_official(row))
    audited(row, user)
    row.delete()
    rollups_refresh_later([row.indicator_id])


@transaction.atomic
def values_delete(*, values: Iterable[Value], user: User | None) -> int:
    """Delete several values as one action: all or none (an official figure among them
    refuses the lot), the figures recomputed once after. How many were deleted."""
    deleted = 0
    for value in values:
        value_delete(value=value, user=user)
        deleted += 1
    return deleted


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
    values_bulk_update_with_history(
        pending, ["approval_state", "approved_at", "approved_by", "updated_at"], default_user=user
    )
    rollups_refresh_later(v.indicator_id for v in pending)
    outcome.approved = len(pending)
    return outcome
