"""Each reporting cycle is owed by the agencies whose branches report today: those with
an active branch that has an active coordinator (the rule until now). A new installation,
where nobody reports yet, starts with the Prosecutor General's Office, whose project
office runs the tracker; staff change either in the admin (Reporting cycles)."""

from django.db import migrations
from django.utils import timezone

FIRST_REPORTING_AGENCY = "gpo"
REASON = "owed by the agencies whose branches had a coordinator"
REASON_NEW = "a new installation: owed by the Prosecutor General's Office"


def give_duty(apps, schema_editor):
    cycle_model = apps.get_model("initiatives", "ReportingCycle")
    agency_model = apps.get_model("agencies", "Agency")
    membership_model = apps.get_model("agencies", "Membership")
    history_model = apps.get_model("initiatives", "HistoricalReportingCycle")
    history_agencies = apps.get_model("initiatives", "HistoricalReportingCycle_agencies")

    reporting = membership_model.objects.filter(
        role="coordinator", is_active=True, branch__is_active=True, branch__agency__is_active=True
    ).values("branch__agency_id")
    agencies = list(agency_model.objects.filter(pk__in=reporting).order_by("pk"))
    reason = REASON
    if not agencies and not membership_model.objects.exists():
        agencies, reason = list(agency_model.objects.filter(code=FIRST_REPORTING_AGENCY)), REASON_NEW
    now = timezone.now()
    for cycle in cycle_model.objects.filter(agencies__isnull=True):
        cycle.agencies.add(*agencies)
        # The audit trail shows who owed what from the start (history signals do not run here).
        record = history_model.objects.create(
            id=cycle.pk,
            created_at=cycle.created_at,
            updated_at=cycle.updated_at,
            kind=cycle.kind,
            due_day=cycle.due_day,
            months_after=cycle.months_after,
            history_date=now,
            history_type="~",
            history_change_reason=reason,
        )
        history_agencies.objects.bulk_create(
            history_agencies(id=row.pk, history=record, reportingcycle_id=cycle.pk, agency_id=row.agency_id)
            for row in cycle_model.agencies.through.objects.filter(reportingcycle_id=cycle.pk)
        )


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0027_reporting_cycle_agencies"), ("agencies", "0005_profile")]

    operations = [migrations.RunPython(give_duty, migrations.RunPython.noop)]
