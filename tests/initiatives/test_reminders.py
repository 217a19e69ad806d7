"""Reminders before a report's due date and escalations after it, walked day by day.

The running example: Astana's branch of the Prosecutor General's Office owes the monthly
report for September 2025, due on 15 October 2025 (the 15th of the month after, the
default cycle). So: first reminder on 8 October (due - 7), second on 14 October
(due - 1), the regional head on 16 October (due + 1), the project office on 22 October
(due + 7), and nothing after 29 October (due + 14).
"""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command

from agencies.models import Agency, Membership, MembershipRole, RegionalBranch
from agencies.roles import PROJECT_OFFICE_GROUP
from initiatives import tasks
from initiatives.models import OutboxMessage, Report, ReportingCycle
from initiatives.services.reminders import reminders_send
from regions.models import Region

from ..factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ALMATY = ZoneInfo("Asia/Almaty")
SEPTEMBER = datetime.date(2025, 9, 1)


def on(day: datetime.date) -> list[tuple[str, str, str]]:
    """Run the daily task as beat does, at 09:00 Almaty on `day`; the notices it wrote as
    (kind, stage, recipient)."""
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    with time_machine.travel(datetime.datetime(day.year, day.month, day.day, 9, 0, tzinfo=ALMATY), tick=False):
        written = tasks.send_reminders()
    new = OutboxMessage.objects.exclude(pk__in=before).order_by("key")
    assert written == len(new)
    return [(m.key.split(":")[2], m.key.split(":")[4], m.recipient) for m in new]


def message(stage: str) -> OutboxMessage:
    return OutboxMessage.objects.get(key__contains=f":{stage}:")


def owes_reports(agency: Agency) -> None:
    for cycle in ReportingCycle.objects.all():
        cycle.agencies.add(agency)


def september_report(branch: RegionalBranch, state: str, **fields: object) -> Report:
    if state == "approved":
        fields.setdefault("approved_at", datetime.datetime(2025, 10, 10, 12, 0, tzinfo=ALMATY))
    if state == "returned":
        fields.setdefault("return_reason", "Add the protocol.")
    return Report.objects.create(
        branch=branch,
        kind="monthly",
        period_start=SEPTEMBER,
        period_end=SEPTEMBER,
        due_date=datetime.date(2025, 10, 15),
        state=state,
        **fields,
    )


COORDINATOR = "coordinator.astana@example.kz"
HEAD = "head.astana@example.kz"
OFFICE = "office@example.kz"


def test_it_walks_a_monthly_report_across_its_due_date(branch_astana, head_astana, office) -> None:
    assert on(datetime.date(2025, 10, 1)) == []
    assert on(datetime.date(2025, 10, 7)) == []  # due - 8
    assert on(datetime.date(2025, 10, 8)) == [("monthly", "before-7", COORDINATOR)]
    assert on(datetime.date(2025, 10, 8)) == []  # the same day again
    assert on(datetime.date(2025, 10, 9)) == []  # the same stage, another day
    assert on(datetime.date(2025, 10, 13)) == []
    assert on(datetime.date(2025, 10, 14)) == [("monthly", "before-1", COORDINATOR)]
    assert on(datetime.date(2025, 10, 15)) == []  # the due date itself
    assert on(datetime.date(2025, 10, 16)) == [("monthly", "overdue-head", HEAD)]
    assert on(datetime.date(2025, 10, 21)) == []  # due + 6
    assert on(datetime.date(2025, 10, 22)) == [("monthly", "overdue-office", OFFICE)]
    assert on(datetime.date(2025, 10, 29)) == []  # due + 14, the last day of the calendar
    assert on(datetime.date(2025, 10, 30)) == []


def test_the_notices_say_which_report_of_which_branch_and_when(branch_astana, head_astana, office) -> None:
    on(datetime.date(2025, 10, 8))
    on(datetime.date(2025, 10, 16))
    on(datetime.date(2025, 10, 22))

    first = message("before-7")
    assert first.subject == "Reminder: monthly KPI report for 2025-09 is due on 15.10.2025"
    assert str(branch_astana) in first.body and "Astana" in first.body
    assert "not started" in first.body and "due in 7 days" in first.body
    assert message("overdue-head").subject == f"Overdue by 1 day: monthly KPI report for 2025-09, {branch_astana}"
    assert "1 day overdue" in message("overdue-head").body
    assert message("overdue-office").subject == f"Overdue by 7 days: monthly KPI report for 2025-09, {branch_astana}"
    assert "15.10.2025: 7 days overdue" in message("overdue-office").body


def test_a_submitted_report_stops_everything(branch_astana, head_astana, office) -> None:
    september_report(branch_astana, "submitted")
    for day in (8, 14, 16, 22):
        assert on(datetime.date(2025, 10, day)) == []


def test_an_approved_report_stops_everything(branch_astana, head_astana, office) -> None:
    september_report(branch_astana, "approved")
    for day in (8, 14, 16, 22):
        assert on(datetime.date(2025, 10, day)) == []


def test_a_draft_is_still_owed(branch_astana) -> None:
    september_report(branch_astana, "draft")
    assert on(datetime.date(2025, 10, 8)) == [("monthly", "before-7", COORDINATOR)]
    assert "(draft)" in message("before-7").body


def test_a_returned_report_gets_reminders_again(branch_astana) -> None:
    assert on(datetime.date(2025, 10, 8)) == [("monthly", "before-7", COORDINATOR)]
    report = september_report(branch_astana, "submitted")
    assert on(datetime.date(2025, 10, 10)) == []
    report.state, report.return_reason = "returned", "Add the protocol."
    report.save()
    assert on(datetime.date(2025, 10, 14)) == [("monthly", "before-1", COORDINATOR)]


def test_an_inactive_coordinator_gets_nothing(branch_astana, coordinator_astana) -> None:
    colleague = MembershipFactory(user__username="deputy.astana", branch=branch_astana)
    Membership.objects.filter(user=coordinator_astana).update(is_active=False)
    assert on(datetime.date(2025, 10, 8)) == [("monthly", "before-7", "deputy.astana@example.kz")]
    colleague.is_active = False
    colleague.save()
    assert on(datetime.date(2025, 10, 14)) == []  # nobody left to remind (the branch still owes it)


def test_a_branch_whose_coordinator_left_still_owes_and_is_escalated(
    branch_astana, head_astana, office, coordinator_astana
) -> None:
    Membership.objects.filter(user=coordinator_astana).update(is_active=False)
    assert on(datetime.date(2025, 10, 8)) == []  # nobody to remind
    assert on(datetime.date(2025, 10, 16)) == [("monthly", "overdue-head", HEAD)]
    assert "no active coordinator" in message("overdue-head").body
    # The office hears of it in its list of branches without a coordinator.
    assert on(datetime.date(2025, 10, 22)) == [("monthly", "overdue-office", OFFICE)]
    assert OutboxMessage.objects.get(key__startswith="reminder:no-coordinator:").recipient == OFFICE


def test_inactive_branches_and_agencies_get_nothing(branch_astana, head_astana) -> None:
    branch_astana.is_active = False
    branch_astana.save()
    assert on(datetime.date(2025, 10, 8)) == []
    branch_astana.is_active = True
    branch_astana.save()
    branch_astana.agency.is_active = False
    branch_astana.agency.save()
    assert on(datetime.date(2025, 10, 16)) == []


def test_a_branch_with_no_regional_head_uses_the_branch_email(branch_astana) -> None:
    branch_astana.email = "astana@gpo.example.kz"
    branch_astana.save()
    assert on(datetime.date(2025, 10, 16)) == [("monthly", "overdue-head", "astana@gpo.example.kz")]
    assert on(datetime.date(2025, 10, 17)) == []


def test_a_branch_with_neither_head_nor_email_skips_that_stage(branch_astana) -> None:
    assert on(datetime.date(2025, 10, 16)) == []


def test_an_inactive_regional_head_is_passed_over_for_the_branch_email(branch_astana, head_astana) -> None:
    Membership.objects.filter(user=head_astana).update(is_active=False)
    branch_astana.email = "astana@gpo.example.kz"
    branch_astana.save()
    assert on(datetime.date(2025, 10, 16)) == [("monthly", "overdue-head", "astana@gpo.example.kz")]


def test_the_office_escalation_goes_to_active_office_staff_with_an_address(branch_astana, office) -> None:
    group = Group.objects.get(name=PROJECT_OFFICE_GROUP)
    UserFactory(username="former", is_staff=True, is_active=False).groups.add(group)
    UserFactory(username="no.address", is_staff=True, email="").groups.add(group)
    UserFactory(username="analyst", is_staff=True).groups.add(group)
    UserFactory(username="staff.elsewhere", is_staff=True)  # staff, not in the office
    assert sorted(on(datetime.date(2025, 10, 22))) == [
        ("monthly", "overdue-office", "analyst@example.kz"),
        ("monthly", "overdue-office", "office@example.kz"),
    ]


def test_a_missed_week_sends_only_the_latest_stage(branch_astana, head_astana, office) -> None:
    assert on(datetime.date(2025, 10, 10)) == [("monthly", "before-7", COORDINATOR)]  # due - 5: still the first
    # Nothing ran from 11 to 17 October: the second reminder is not sent late.
    assert on(datetime.date(2025, 10, 18)) == [("monthly", "overdue-head", HEAD)]  # due + 3
    assert on(datetime.date(2025, 10, 19)) == []


def test_a_first_run_long_after_the_due_date_tells_only_the_office(branch_astana, head_astana, office) -> None:
    assert on(datetime.date(2025, 10, 25)) == [("monthly", "overdue-office", OFFICE)]  # due + 10


def test_the_second_reminder_is_sent_on_the_due_date_if_the_day_before_was_missed(branch_astana) -> None:
    assert on(datetime.date(2025, 10, 15)) == [("monthly", "before-1", COORDINATOR)]
    assert "due today" in message("before-1").body


def test_a_staff_change_to_the_half_yearly_cycle_moves_its_dates(branch_astana) -> None:
    # Default: 2025-H1 is due on 15 July 2025, so its first reminder would go on 8 July.
    ReportingCycle.objects.filter(kind="half_yearly").update(due_day=25, months_after=2)
    # Now due on 25 August 2025: reminders on 18 and 24 August, the head on 26 August.
    half_yearly = [n for n in on(datetime.date(2025, 7, 8)) if n[0] == "half_yearly"]
    assert half_yearly == []
    assert [n for n in on(datetime.date(2025, 8, 17)) if n[0] == "half_yearly"] == []
    assert [n for n in on(datetime.date(2025, 8, 18)) if n[0] == "half_yearly"] == [
        ("half_yearly", "before-7", COORDINATOR)
    ]
    assert [n for n in on(datetime.date(2025, 8, 24)) if n[0] == "half_yearly"] == [
        ("half_yearly", "before-1", COORDINATOR)
    ]
    assert OutboxMessage.objects.get(key__contains=":half_yearly:2025-01-01:before-1:").subject == (
        "Reminder: half-yearly action-plan report for 2025-H1 is due on 25.08.2025"
    )


def test_the_monthly_cycle_under_its_default_is_due_on_the_15th(branch_astana) -> None:
    # June 2025 (monthly) and 2025-H1 (half-yearly) are both due on 15 July 2025.
    assert on(datetime.date(2025, 7, 8)) == [
        ("half_yearly", "before-7", COORDINATOR),
        ("monthly", "before-7", COORDINATOR),
    ]


def test_a_report_already_created_keeps_its_own_due_date(branch_astana) -> None:
    september_report(branch_astana, "draft")  # created while the cycle said 15 October
    ReportingCycle.objects.filter(kind="monthly").update(due_day=25)
    assert on(datetime.date(2025, 10, 8)) == [("monthly", "before-7", COORDINATOR)]


def test_a_reopened_report_is_not_escalated_while_the_reopening_lasts(branch_astana, head_astana, office) -> None:
    # Staff reopened it until 20 October, 18:00 Almaty.
    september_report(branch_astana, "draft", reopened_until=datetime.datetime(2025, 10, 20, 18, 0, tzinfo=ALMATY))
    assert on(datetime.date(2025, 10, 14)) == [("monthly", "before-1", COORDINATOR)]  # reminders as usual
    assert on(datetime.date(2025, 10, 16)) == []  # due + 1, reopened: the head is not told
    assert on(datetime.date(2025, 10, 20)) == []  # the reopening's last day
    assert on(datetime.date(2025, 10, 21)) == [("monthly", "overdue-head", HEAD)]  # over, still not handed in
    assert on(datetime.date(2025, 10, 22)) == [("monthly", "overdue-office", OFFICE)]


def test_a_reopened_report_handed_in_in_time_is_never_escalated(branch_astana, head_astana, office) -> None:
    report = september_report(
        branch_astana, "draft", reopened_until=datetime.datetime(2025, 10, 20, 18, 0, tzinfo=ALMATY)
    )
    assert on(datetime.date(2025, 10, 16)) == []
    report.state = "submitted"
    report.save()
    assert on(datetime.date(2025, 10, 21)) == []
    assert on(datetime.date(2025, 10, 22)) == []


def test_the_task_delivers_each_email_once_even_when_it_runs_twice(
    branch_astana, in_process_tasks, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(datetime.datetime(2025, 10, 8, 9, 0, tzinfo=ALMATY), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.send_reminders.delay().get() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.send_reminders.delay().get() == 0
    assert [m.to for m in mail.outbox] == [[COORDINATOR]]
    assert mail.outbox[0].subject == "Reminder: monthly KPI report for 2025-09 is due on 15.10.2025"
    assert OutboxMessage.objects.get().sent_at is not None


def test_the_beat_runs_the_task_daily_at_nine_almaty_time(settings) -> None:
    from projectoffice.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["send-reminders"]
    assert entry["task"] == "initiatives.tasks.send_reminders" == tasks.send_reminders.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({9}, {0})
    assert entry["schedule"].day_of_week == set(range(7))
    assert settings.CELERY_TIMEZONE == "Asia/Almaty" == str(app.conf.timezone)


def test_the_command_says_how_many_notices_it_wrote(branch_astana) -> None:
    out = io.StringIO()
    call_command("send_reminders", "--date", "2025-10-08", stdout=out)
    assert out.getvalue().strip() == "2025-10-08: 1 notice(s) written to the outbox."
    out = io.StringIO()
    call_command("send_reminders", "--date", "2025-10-08", stdout=out)
    assert out.getvalue().strip() == "2025-10-08: 0 notice(s) written to the outbox."


def test_the_command_refuses_a_date_it_cannot_read(branch_astana) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "08.10.2025")


@pytest.mark.parametrize("written", ["20251008", "2025-W41-3", ""])
def test_the_command_reads_its_date_as_every_date_is_read(branch_astana, written: str) -> None:
    # Python's fromisoformat would take the first two; no person means them.
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", written)


def test_the_command_acts_as_today_by_default(branch_astana) -> None:
    out = io.StringIO()
    with time_machine.travel(datetime.datetime(2025, 10, 14, 9, 0, tzinfo=ALMATY), tick=False):
        call_command("send_reminders", stdout=out)
    assert out.getvalue().strip() == "2025-10-14: 1 notice(s) written to the outbox."


def test_a_repeated_run_costs_the_same_queries_however_many_branches(
    branch_astana, head_astana, office, assert_queries_do_not_grow
) -> None:
    day = datetime.date(2025, 10, 16)

    def add_branches() -> None:
        for _ in range(5):
            coordinator = MembershipFactory()
            owes_reports(coordinator.branch.agency)
            MembershipFactory(branch=coordinator.branch, role=MembershipRole.REGIONAL_HEAD)
        for kato in ("790000000", "350000000"):  # owing, with a head and no coordinator
            uncoordinated = RegionalBranch.objects.create(
                agency=branch_astana.agency, region=Region.objects.get(kato=kato)
            )
            MembershipFactory(branch=uncoordinated, role=MembershipRole.REGIONAL_HEAD)
        reminders_send(today=day)  # their notices written once; the run measured next repeats it

    assert OutboxMessage.objects.count() == 0
    assert_queries_do_not_grow(lambda: reminders_send(today=day), add_branches, budget=8)
    assert OutboxMessage.objects.filter(key__contains=":overdue-head:").count() == 8


def test_reading_what_is_owed_costs_the_same_queries_however_many_branches(
    branch_astana, head_astana, office, assert_queries_do_not_grow
) -> None:
    day = datetime.date(2025, 10, 22)
    september_report(branch_astana, "submitted")

    def add_branches_that_handed_in() -> None:
        for _ in range(5):
            membership = MembershipFactory()
            owes_reports(membership.branch.agency)
            september_report(membership.branch, "approved")

    assert_queries_do_not_grow(lambda: reminders_send(today=day), add_branches_that_handed_in, budget=7)
    assert OutboxMessage.objects.count() == 0


# --- Who owes: the reporting cycles' agencies, whether or not a branch has a coordinator.


def uncoordinated(kato: str, agency: str = "gpo") -> RegionalBranch:
    """A branch of an agency that owes reports, with nobody to coordinate it."""
    return RegionalBranch.objects.create(agency=Agency.objects.get(code=agency), region=Region.objects.get(kato=kato))


def test_a_branch_without_a_coordinator_gets_no_reminder(office) -> None:
    uncoordinated("790000000")
    assert on(datetime.date(2025, 10, 8)) == []
    assert on(datetime.date(2025, 10, 14)) == []
    assert on(datetime.date(2025, 10, 16)) == []  # no regional head, no branch address: nobody there


def test_the_office_escalation_lists_the_branches_without_a_coordinator(branch_astana, office) -> None:
    shymkent, karaganda = uncoordinated("790000000"), uncoordinated("350000000")
    Report.objects.create(
        branch=karaganda, kind="monthly", period_start=SEPTEMBER, period_end=SEPTEMBER,
        due_date=datetime.date(2025, 10, 15), state="draft",
    )  # fmt: skip  # begun by someone who has since left
    notices = on(datetime.date(2025, 10, 22))
    # Astana (it has a coordinator) is escalated on its own; the other two in one list.
    assert notices == [("monthly", "overdue-office", OFFICE), ("monthly", "overdue-office", OFFICE)]
    listed = OutboxMessage.objects.get(key__startswith="reminder:no-coordinator:")
    assert listed.key == "reminder:no-coordinator:monthly:2025-09-01:overdue-office:2025-10-15:" + str(office.pk)
    assert listed.subject == "No coordinator: 2 branches have not handed in the monthly KPI report for 2025-09"
    assert "due on 15.10.2025 (7 days overdue)" in listed.body
    lines = [line for line in listed.body.splitlines() if line.startswith("- ")]
    assert lines == [f"- {karaganda} (draft)", f"- {shymkent} (not started)"]  # by KATO
    assert "assign a coordinator" in listed.body and str(branch_astana) not in listed.body
    assert on(datetime.date(2025, 10, 23)) == []  # sent once


def test_the_list_of_branches_without_a_coordinator_is_written_in_each_persons_language(office) -> None:
    from agencies.models import Profile

    Profile.objects.create(user=office, language="kk")
    uncoordinated("790000000")
    on(datetime.date(2025, 10, 22))
    listed = OutboxMessage.objects.get(key__startswith="reminder:no-coordinator:")
    assert listed.subject.startswith("Үйлестіруші жоқ: 1 бөлімше")
    assert "үйлестіруші тағайындаңыз" in listed.body


def test_a_reopened_report_of_a_branch_without_a_coordinator_is_not_on_the_list(office) -> None:
    shymkent = uncoordinated("790000000")
    september_report(shymkent, "draft", reopened_until=datetime.datetime(2025, 10, 25, 18, 0, tzinfo=ALMATY))
    assert on(datetime.date(2025, 10, 22)) == []
    assert on(datetime.date(2025, 10, 26)) == [("monthly", "overdue-office", OFFICE)]


def test_a_coordinator_of_an_agency_that_owes_no_report_gets_nothing(office) -> None:
    police = uncoordinated("710000000", agency="mvd")
    MembershipFactory(user__username="police.astana", branch=police)
    assert on(datetime.date(2025, 10, 8)) == []
    ReportingCycle.objects.get(kind="monthly").agencies.add(police.agency)
    assert on(datetime.date(2025, 10, 9)) == [("monthly", "before-7", "police.astana@example.kz")]


def test_an_agency_owes_only_the_kinds_of_report_its_cycles_name(branch_astana) -> None:
    ReportingCycle.objects.get(kind="half_yearly").agencies.clear()
    # June 2025 and 2025-H1 are both due on 15 July 2025; only the monthly one is owed now.
    assert on(datetime.date(2025, 7, 8)) == [("monthly", "before-7", COORDINATOR)]


def test_a_new_installation_owes_every_report_to_the_prosecutors_office() -> None:
    """The data migration's default on a database where nobody reports yet (the test
    database is one), as the demo uses it."""
    for cycle in ReportingCycle.objects.all():
        assert list(cycle.agencies.values_list("code", flat=True)) == ["gpo"]
