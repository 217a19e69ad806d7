"""Reminders before a report's due date, and escalation after it.

Run once a day (Celery beat, 09:00 Almaty). A branch owes a kind of report when it is
active and its agency is on that kind's reporting cycle (`ReportingCycle.agencies`),
whether or not it has a coordinator. For every report a branch owes and has not handed
in (no report yet, a draft, or a returned one), the stage of the calendar that applies
today is written to the outbox:

    due - 7 .. due - 2   first reminder, to the branch's active coordinators
    due - 1 .. due       second reminder, to them
    due + 1 .. due + 6   escalation to the branch's regional head(s), or the branch's e-mail
    due + 7 .. due + 14  escalation to the project office

A branch with no active coordinator gets no reminder (there is nobody to remind); its
regional head hears of it as usual, and the office's escalation lists every such branch
owing the same report in one notice per person, asking for a coordinator to be assigned.

Only the latest stage that applies is sent, so a run missed for a few days catches up
without sending the stages it skipped. Each notice has a key per (branch, kind, period,
stage, recipient): a second run, or another day inside the same stage, writes nothing.
After due + 14 the rule stops: the report is on the office's review pages by then.

The office's list of branches without a coordinator has a key per (kind, period, due
date, recipient): it is sent once, on the first run that finds one in that stage.

A report staff reopened is owed like any open one, but is never escalated on a day its
reopening lasts: the office itself granted the extra time. Once the reopening ends and
the report is still not handed in, the calendar above applies again (within due + 14).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from agencies.models import Membership, MembershipRole, RegionalBranch, person_language
from agencies.roles import PROJECT_OFFICE_GROUP
from projectoffice.model_mixins import in_language

from ..models import OutboxMessage, Report, ReportKind, ReportState
from ..periods import Month, Period
from ..selectors.reports import due_date_for, reporting_cycles, reporting_duty
from .notifications import notice_text
from .outbox import outbox_add

# Who hears about a report that is not handed in, by days from its due date.
COORDINATORS, REGIONAL_HEADS, OFFICE = "coordinators", "regional_heads", "office"


@dataclass(frozen=True)
class Stage:
    name: str  # part of the outbox key: never rename one that has been sent
    first_day: int  # days from the due date (negative: before it)
    audience: str


STAGES = (
    Stage("before-7", -7, COORDINATORS),
    Stage("before-1", -1, COORDINATORS),
    Stage("overdue-head", 1, REGIONAL_HEADS),
    Stage("overdue-office", 7, OFFICE),
)
# The last day after the due date on which a missed office escalation is still sent.
LAST_DAY_AFTER_DUE = 14
# ReportingCycle allows a due date up to this many months after the period's last month.
MAX_MONTHS_AFTER = 6
# Keys looked up in the outbox per query.
KEY_BATCH = 1000


def stage_on(today: datetime.date, due: datetime.date) -> Stage | None:
    """The latest stage that applies on `today` for a report due on `due`; None outside the calendar."""
    days = (today - due).days
    if days > LAST_DAY_AFTER_DUE:
        return None
    applying = [stage for stage in STAGES if stage.first_day <= days]
    return applying[-1] if applying else None


@dataclass(frozen=True)
class Notice:
    key: str
    recipient: str
    subject: str
    body: str


@transaction.atomic
def reminders_send(*, today: datetime.date) -> int:
    """Write today's reminders and escalations into the outbox; returns how many notices
    were new. Safe to run any number of times a day."""
    notices = list(_notices_due(today))
    existing = _existing_keys([n.key for n in notices])
    written = 0
    for notice in notices:
        if notice.key in existing:
            continue
        existing.add(notice.key)
        if outbox_add(key=notice.key, recipient=notice.recipient, subject=notice.subject, body=notice.body):
            written += 1
    return written


def _notices_due(today: datetime.date) -> Iterator[Notice]:
    cycles = reporting_cycles()
    duty = reporting_duty()
    owing = set().union(*duty.values())
    if not owing:
        return
    branches = {
        branch.pk: branch
        for branch in RegionalBranch.objects.filter(is_active=True, agency_id__in=owing)
        .select_related("agency", "region")
        .order_by("pk")
    }
    if not branches:
        return
    memberships = list(
        Membership.objects.active()
        .filter(
            branch_id__in=list(branches),
            role__in=[MembershipRole.COORDINATOR, MembershipRole.REGIONAL_HEAD],
            user__is_active=True,
        )
        .select_related("user__profile")
        .order_by("branch_id", "user_id")
    )
    coordinators: dict[int, list[User]] = defaultdict(list)
    heads: dict[int, list[User]] = defaultdict(list)
    for membership in memberships:
        people = coordinators if membership.role == MembershipRole.COORDINATOR else heads
        people[membership.branch_id].append(membership.user)

    periods = _candidate_periods(today)
    reports = {
        (r.branch_id, r.kind, r.period_start): r
        for r in Report.objects.filter(
            branch_id__in=list(branches),
            kind__in=list(periods),
            period_start__in=sorted({p.first_day for kind_periods in periods.values() for p in kind_periods}),
        )
    }
    office: list[User] | None = None  # fetched once, the first time a report reaches the office
    # Branches with nobody to remind, by the report they owe: told to the office in one list.
    uncoordinated: dict[tuple[str, Period, datetime.date], list[tuple[RegionalBranch, Report | None]]] = {}

    for branch_id, branch in branches.items():
        for kind, kind_periods in periods.items():
            if branch.agency_id not in duty.get(kind, ()):
                continue
            for period in kind_periods:
                report = reports.get((branch_id, kind, period.first_day))
                if report is not None and report.state in (ReportState.SUBMITTED, ReportState.APPROVED):
                    continue  # handed in: nothing owed
                due = report.due_date if report is not None else due_date_for(kind, period, cycles)
                stage = stage_on(today, due)
                if stage is None:
                    continue
                if stage.audience != COORDINATORS and report is not None and report.reopened_on(today):
                    continue
                if stage.audience == OFFICE and office is None:
                    office = _office_people()
                if not coordinators[branch_id] and stage.audience == OFFICE:
                    uncoordinated.setdefault((kind, period, due), []).append((branch, report))
                    continue
                recipients = _recipients(stage, branch, coordinators[branch_id], heads[branch_id], office or [])
                prefix = f"reminder:{branch_id}:{kind}:{period.first_day.isoformat()}:{stage.name}"
                texts: dict[str, tuple[str, str]] = {}  # written once per language
                for who, address, language in recipients:
                    if language not in texts:
                        with translation.override(language):
                            texts[language] = _message(
                                stage, branch, kind, period, report, due, today, bool(coordinators[branch_id])
                            )
                    subject, body = texts[language]
                    yield Notice(f"{prefix}:{who}", address, subject, body)

    yield from _uncoordinated_notices(uncoordinated, office or [], today)


def _uncoordinated_notices(
    owed: dict[tuple[str, Period, datetime.date], list[tuple[RegionalBranch, Report | None]]],
    office: list[User],
    today: datetime.date,
) -> Iterator[Notice]:
    """One notice per office person and report owed: the branches that owe it with no
    coordinator, so that the office assigns one to each."""
    stage = next(s for s in STAGES if s.audience == OFFICE)
    for (kind, period, due), branches in owed.items():
        prefix = f"reminder:no-coordinator:{kind}:{period.first_day.isoformat()}:{stage.name}:{due.isoformat()}"
        texts: dict[str, tuple[str, str]] = {}
        for who, address, language in _people(office):
            if language not in texts:
                with translation.override(language):
                    texts[language] = notice_text(
                        "no_coordinator",
                        {
                            "kind": ReportKind(kind).label,
                            "period": period,
                            "due": date_format(due, "SHORT_DATE_FORMAT"),
                            "days": (today - due).days,
                            "count": len(branches),
                            "branches": [
                                (
                                    _branch_and_region(branch),
                                    report.get_state_display() if report is not None else _("not started"),
                                )
                                for branch, report in sorted(branches, key=lambda b: (b[0].region.kato, b[0].pk))
                            ],
                        },
                    )
            subject, body = texts[language]
            yield Notice(f"{prefix}:{who}", address, subject, body)


def _candidate_periods(today: datetime.date) -> dict[str, list[Period]]:
    """Every monthly and half-yearly period whose due date could fall in the calendar
    around `today` under any cycle staff may set; the due dates themselves are checked
    per report."""
    earliest = Month.from_date(today - datetime.timedelta(days=LAST_DAY_AFTER_DUE)).plus(-MAX_MONTHS_AFTER)
    latest = Month.from_date(today - datetime.timedelta(days=STAGES[0].first_day))
    months = [Month.from_index(i) for i in range(earliest.index, latest.index + 1)]
    halves = [Period.half_year(year, half) for year in range(earliest.year, latest.year + 1) for half in (1, 2)]
    return {
        ReportKind.MONTHLY: [Period(m, m) for m in months],
        ReportKind.HALF_YEARLY: [p for p in halves if earliest <= p.end <= latest],
    }


def _office_people() -> list[User]:
    """Project-office staff as `is_project_office` knows them, with an address to write to."""
    return list(
        User.objects.filter(is_active=True, is_staff=True, groups__name=PROJECT_OFFICE_GROUP)
        .select_related("profile")
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _recipients(
    stage: Stage, branch: RegionalBranch, coordinators: list[User], heads: list[User], office: list[User]
) -> list[tuple[str, str, str]]:
    """(key part, address, language) per person to write to: the user's id, or the address
    itself for the branch's own mailbox (written to in the site's language)."""
    if stage.audience == COORDINATORS:
        return _people(coordinators)
    if stage.audience == REGIONAL_HEADS:
        people = _people(heads)
        if not people and branch.email:
            return [(branch.email.lower(), branch.email, settings.LANGUAGE_CODE)]
        return people
    return _people(office)


def _people(users: Iterable[User]) -> list[tuple[str, str, str]]:
    return [(str(user.pk), user.email, person_language(user)) for user in users if user.email]


def _message(
    stage: Stage,
    branch: RegionalBranch,
    kind: str,
    period: Period,
    report: Report | None,
    due: datetime.date,
    today: datetime.date,
    has_coordinator: bool = True,
) -> tuple[str, str]:
    """Subject and body in the current language (the caller sets the reader's)."""
    days = (today - due).days
    context = {
        "kind": ReportKind(kind).label,
        "period": period,
        "branch": _branch_and_region(branch),
        "due": date_format(due, "SHORT_DATE_FORMAT"),
        "state": report.get_state_display() if report is not None else _("not started"),
        "days": abs(days),
        "to_heads": stage.audience == REGIONAL_HEADS,
        "has_coordinator": has_coordinator,
    }
    return notice_text("reminder" if stage.audience == COORDINATORS else "overdue", context)


def _branch_and_region(branch: RegionalBranch) -> str:
    """The branch as people name it, with its region when the name alone may not say it."""
    if in_language(branch, "name"):
        return f"{branch} ({branch.region})"
    return str(branch)  # "<agency> — <region>"


def _existing_keys(keys: list[str]) -> set[str]:
    """The keys already in the outbox, so a repeated run costs a fixed number of queries."""
    found: set[str] = set()
    for start in range(0, len(keys), KEY_BATCH):
        batch = keys[start : start + KEY_BATCH]
        found.update(OutboxMessage.objects.filter(key__in=batch).values_list("key", flat=True))
    return found
