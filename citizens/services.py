"""Every change to the citizen register, each one transaction that also rewrites the KPIs
counted from it (`citizen_reports.received`, `.confirmed`, `.rewarded`).

Why a service and not a database trigger: the counts go into the KPI values through
initiatives' own write path (`register_counts_sync`), whose triggers keep the engine's
rollups and whose rows keep history; a trigger would need the month bucketing, the
zero-filled months and the first-level region in SQL twice (SQLite and PostgreSQL).
Every write to the register goes through here, so the figures change in the same
transaction as the register.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from agencies.models import RegionalBranch
from initiatives.models import KpiRole
from initiatives.periods import Month
from initiatives.selectors.kpi_roles import kpis_of_roles
from initiatives.services.register import register_counts_sync
from projectoffice.audit import audited
from regions.kato import kato_top

from .identity import iin_hash, normalized_phone
from .import_file import CheckedRow
from .models import (
    PERSONAL_FIELDS,
    VIEW_PERSONAL_DATA,
    CitizenReport,
    CitizenReportStatus,
    DataRequestStatus,
    PersonalDataRequest,
    PersonalDataReveal,
    Reward,
)
from .rules import Problems, date_problems, decision_problems, personal_data_problems, reward_problems
from .selectors import branch_ids_of, is_branch_head, retention_cutoff

KPI_ROLES = (KpiRole.CITIZEN_REPORTS_RECEIVED, KpiRole.CITIZEN_REPORTS_CONFIRMED, KpiRole.CITIZEN_REPORTS_REWARDED)
ERASE_BATCH = 500


def _refuse(problems: Problems) -> None:
    if problems:
        found: dict[str, list[str]] = {}
        for name, message in problems:
            found.setdefault(name, []).append(message)
        raise ValidationError(found)


def _require_branch(user: Any, branch: RegionalBranch) -> None:
    if branch.pk not in branch_ids_of(user):
        raise PermissionDenied(_("Only the staff of this branch keep its register."))


@transaction.atomic
def citizen_kpis_sync(*, user: User | None = None, today: datetime.date | None = None) -> int:
    """Recount the three KPIs from the register, per first-level region and month, from
    the month of the first report through the last complete month (the one before
    today's): the current month is still being counted, so it gets no value (a summary
    reaching into it is incomplete) until it is over and this runs again (the nightly
    `citizens.tasks.sync_citizen_kpis`). Returns the value rows changed."""
    today = today or timezone.localdate()
    # One recount at a time: two branches' changes committing together would otherwise
    # each count without the other's row and the later write would drop it. Waiting for
    # this lock means counting after the other transaction committed (READ COMMITTED).
    list(kpis_of_roles(*KPI_ROLES).select_for_update().order_by("pk").values_list("pk", flat=True))
    # Reports dated before the register began (written before that rule, or by hand) are
    # not counted: one dated 1900 would otherwise fill 126 years of zeros.
    start = settings.CITIZENS_REGISTER_START
    reports = CitizenReport.objects.filter(received_on__gte=start)
    first_day = reports.order_by("received_on").values_list("received_on", flat=True).first()
    first = Month.from_date(first_day) if first_day else None
    through = Month.from_date(today).plus(-1)
    if first is not None and first.index > through.index:
        first = None  # every report is from the current month: no complete month to count yet

    def counts(queryset: Any, field: str) -> dict[tuple[str, Month], int]:
        found: Counter[tuple[str, Month]] = Counter()
        rows = (
            queryset.annotate(month=TruncMonth(field))
            .values_list("branch__region__kato", "month")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for kato, month, n in rows:
            found[(kato_top(kato), Month.from_date(month))] += n
        return dict(found)

    written = register_counts_sync(
        role=KpiRole.CITIZEN_REPORTS_RECEIVED,
        counts=counts(reports, "received_on"),
        first=first,
        through=through,
        user=user,
    )
    confirmed = reports.filter(status=CitizenReportStatus.CONFIRMED, decided_on__gte=start)
    written += register_counts_sync(
        role=KpiRole.CITIZEN_REPORTS_CONFIRMED,
        counts=counts(confirmed, "decided_on"),
        first=first,
        through=through,
        user=user,
    )
    rewarded = confirmed.exclude(reward=Reward.NONE)
    written += register_counts_sync(
        role=KpiRole.CITIZEN_REPORTS_REWARDED,
        counts=counts(rewarded, "decided_on"),
        first=first,
        through=through,
        user=user,
    )
    return written


@sensitive_variables()
def _set_personal_data(report: CitizenReport, *, iin: str, full_name: str, phone: str) -> None:
    report.iin, report.full_name, report.phone = iin, full_name.strip(), normalized_phone(phone) or None
    report.iin_hash = iin_hash(iin)
    report.personal_data_changed_at = timezone.now()


@sensitive_variables()
@transaction.atomic
def citizen_report_register(
    *,
    branch: RegionalBranch,
    received_on: datetime.date,
    channel: str,
    offence: str,
    law_enforcement_staff: bool,
    iin: str,
    full_name: str,
    phone: str,
    user: User,
) -> CitizenReport:
    """A report received by the user's branch, with the citizen's data (encrypted)."""
    _require_branch(user, branch)
    iin = iin.strip()
    _refuse(
        personal_data_problems(iin=iin, full_name=full_name.strip(), phone=phone)
        + date_problems(field="received_on", day=received_on, today=timezone.localdate())
    )
    report = CitizenReport(
        branch=branch,
        received_on=received_on,
        channel=channel,
        offence=offence,
        law_enforcement_staff=law_enforcement_staff,
    )
    _set_personal_data(report, iin=iin, full_name=full_name, phone=phone)
    audited(report, user)
    report.full_clean()
    report.save()
    citizen_kpis_sync(user=user)
    return report


def _locked(report: CitizenReport) -> CitizenReport:
    return CitizenReport.objects.select_for_update().select_related("branch").get(pk=report.pk)


@transaction.atomic
def citizen_report_decide(
    *, report: CitizenReport, status: str, decided_on: datetime.date, decision_no: str, user: User
) -> CitizenReport:
    """Record the outcome of the check: confirmed (with the procedural decision's number)
    or not confirmed. Once decided, a decision stands."""
    report = _locked(report)
    _require_branch(user, report.branch)
    if report.status != CitizenReportStatus.RECEIVED:
        raise ValidationError(_("This report has been decided already."))
    if status not in (CitizenReportStatus.CONFIRMED, CitizenReportStatus.NOT_CONFIRMED):
        raise ValidationError({"status": [_("Choose confirmed or not confirmed.")]})
    decision_no = decision_no.strip()
    _refuse(
        decision_problems(status=status, decided_on=decided_on, decision_no=decision_no, received_on=report.received_on)
        + date_problems(field="decided_on", day=decided_on, today=timezone.localdate())
    )
    report.status, report.decided_on, report.decision_no, report.decided_by = status, decided_on, decision_no, user
    audited(report, user)
    report.save()
    citizen_kpis_sync(user=user)
    return report


@transaction.atomic
def citizen_report_reward(
    *,
    report: CitizenReport,
    reward: str,
    amount_kzt: Decimal | None,
    awarded_on: datetime.date | None,
    paid_on: datetime.date | None,
    law_enforcement_staff: bool,
    user: User,
) -> CitizenReport:
    """The branch head's decision on the reward of a confirmed report (or its payment date
    later); the law-enforcement flag is confirmed with it."""
    report = _locked(report)
    if not is_branch_head(user, report.branch):
        raise PermissionDenied(_("Only the head of the branch decides rewards."))
    if reward not in Reward.values:
        raise ValidationError({"reward": [_("Choose a reward.")]})
    today = timezone.localdate()
    _refuse(
        reward_problems(
            status=report.status,
            reward=reward,
            amount_kzt=amount_kzt,
            awarded_on=awarded_on,
            paid_on=paid_on,
            law_enforcement_staff=law_enforcement_staff,
            decided_on=report.decided_on,
        )
        + date_problems(field="awarded_on", day=awarded_on, today=today)
        + date_problems(field="paid_on", day=paid_on, today=today)
    )
    report.reward, report.amount_kzt, report.awarded_on, report.paid_on = reward, amount_kzt, awarded_on, paid_on
    report.law_enforcement_staff = law_enforcement_staff
    report.rewarded_by = user
    audited(report, user)
    report.save()
    citizen_kpis_sync(user=user)
    return report


@dataclass(frozen=True)
class PersonalData:
    iin: str
    full_name: str
    phone: str


def _require_permission(user: Any) -> None:
    if not user.has_perm(VIEW_PERSONAL_DATA):
        raise PermissionDenied(_("Only people with the permission to view citizens' personal data see them."))


@transaction.atomic
def personal_data_reveal(*, report: CitizenReport, user: User, where: str) -> PersonalData:
    """The report's personal data in clear, for a holder of the permission; the look is
    recorded (who, when, which record) before anything is returned."""
    _require_permission(user)
    PersonalDataReveal.objects.create(report=report, user=user, where=where)
    return PersonalData(report.iin or "", report.full_name or "", report.phone or "")


@sensitive_variables()
@transaction.atomic
def personal_data_correct(*, report: CitizenReport, iin: str, full_name: str, phone: str, user: User) -> CitizenReport:
    """Correct a citizen's data at their request; history records that they changed."""
    _require_permission(user)
    report = _locked(report)
    if report.personal_data_erased_at is not None:
        raise ValidationError(_("The personal data of this report were erased after the retention period."))
    iin = iin.strip()
    _refuse(personal_data_problems(iin=iin, full_name=full_name.strip(), phone=phone))
    _set_personal_data(report, iin=iin, full_name=full_name, phone=phone)
    audited(report, user)
    report.save()
    return report


@transaction.atomic
def personal_data_request_answer(
    *, request: PersonalDataRequest, answer_text: str, answered_on: datetime.date, user: User
) -> PersonalDataRequest:
    _require_permission(user)
    if not answer_text.strip():
        raise ValidationError({"answer_text": [_("Write the answer given to the citizen.")]})
    request = PersonalDataRequest.objects.select_for_update().get(pk=request.pk)
    request.answer_text, request.answered_on, request.answered_by = answer_text, answered_on, user
    request.status = DataRequestStatus.ANSWERED
    audited(request, user)
    request.save()
    return request


def _erase(reports: Iterable[CitizenReport], now: datetime.datetime, user: User | None) -> int:
    batch = list(reports)
    for report in batch:
        for name in PERSONAL_FIELDS:
            setattr(report, name, None)
        report.iin_hash = ""
        report.personal_data_erased_at = report.personal_data_changed_at = report.updated_at = now
    bulk_update_with_history(
        batch,
        CitizenReport,
        [*PERSONAL_FIELDS, "iin_hash", "personal_data_erased_at", "personal_data_changed_at", "updated_at"],
        batch_size=ERASE_BATCH,
        default_user=user,
        default_change_reason="retention period over",
    )
    requests = list(PersonalDataRequest.objects.filter(report__in=batch))
    for request in requests:
        request.request_text = request.answer_text = None
    PersonalDataRequest.objects.bulk_update(requests, ["request_text", "answer_text"], batch_size=ERASE_BATCH)
    return len(batch)


def personal_data_erase_expired(*, today: datetime.date | None = None, user: User | None = None) -> int:
    """Erase the personal data (fields, keyed hash, and the texts of the citizen's
    requests) of every report whose retention period is over; the report, and so every
    count, stays. History holds none of them (they are left out of it). Batches of
    ERASE_BATCH, each its own transaction, so a long run leaves finished work behind; a
    second run finds nothing. Returns the reports erased."""
    cutoff = retention_cutoff(today or timezone.localdate())
    now = timezone.now()
    erased = 0
    while True:
        with transaction.atomic():
            batch = list(
                CitizenReport.objects.with_personal_data()
                .expired(cutoff)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:ERASE_BATCH]
            )
            if not batch:
                return erased
            erased += _erase(batch, now, user)


@sensitive_variables()
@transaction.atomic
def citizen_reports_import(*, rows: list[CheckedRow], user: User | None = None) -> int:
    """Write the checked rows of an import, all together, and recount the KPIs."""
    now = timezone.now()
    reports = []
    for row in rows:
        _set_personal_data(row.report, iin=row.iin, full_name=row.full_name, phone=row.phone)
        row.report.personal_data_changed_at = now
        reports.append(row.report)
    bulk_create_with_history(reports, CitizenReport, batch_size=1000, default_user=user)
    citizen_kpis_sync(user=user)
    return len(reports)


def personal_data_reencrypt() -> int:
    """After a key rotation: every personal field encrypted again with the first key of
    CITIZENS_DATA_KEYS, and every keyed hash recomputed with CITIZENS_HASH_KEY. The
    values do not change, so history gets no row. Returns the reports rewritten."""
    done = 0
    last = 0
    while True:
        with transaction.atomic():
            batch = list(
                CitizenReport.objects.with_personal_data()
                .filter(pk__gt=last)
                .select_for_update()
                .order_by("pk")[:ERASE_BATCH]
            )
            if not batch:
                return done
            for report in batch:
                report.iin_hash = iin_hash(report.iin) if report.iin else ""
            CitizenReport.objects.bulk_update(batch, [*PERSONAL_FIELDS, "iin_hash"])
            requests = list(PersonalDataRequest.objects.filter(report__in=batch))
            PersonalDataRequest.objects.bulk_update(requests, ["request_text", "answer_text"])
            done += len(batch)
            last = batch[-1].pk


@transaction.atomic
def personal_data_request_record(
    *, report: CitizenReport, kind: str, received_on: datetime.date, request_text: str, user: User
) -> PersonalDataRequest:
    """A citizen asked to see or correct their data: recorded, to be answered."""
    _require_permission(user)
    _refuse(date_problems(field="received_on", day=received_on, today=timezone.localdate()))
    request = PersonalDataRequest(report=report, kind=kind, received_on=received_on, request_text=request_text)
    audited(request, user)
    request.save()
    return request
