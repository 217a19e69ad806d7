"""Two branches of one region registering at the same moment on PostgreSQL: both reports
are counted (the recounts take turns instead of each missing the other's row)."""

import datetime
import threading
import time

import pytest
import time_machine
from django.db import connection

from agencies.models import Agency, Membership, MembershipRole, RegionalBranch
from citizens import services
from citizens.services import citizen_report_register
from initiatives.models import Value
from regions.models import Region
from tests.factories import UserFactory

from .conftest import iins


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reports_registered_at_once_in_one_region_are_both_counted(reference_data, monkeypatch) -> None:
    astana = Region.objects.get(kato="710000000")
    people = []
    for code in ("gpo", "mvd"):
        branch, _ = RegionalBranch.objects.get_or_create(agency=Agency.objects.get(code=code), region=astana)
        user = UserFactory(username=f"staff.{code}")
        Membership.objects.create(user=user, branch=branch, role=MembershipRole.COORDINATOR)
        people.append((branch, user))
    real = services.register_counts_sync

    def slow(**kwargs):  # widens the window between counting and writing
        time.sleep(0.3)
        return real(**kwargs)

    monkeypatch.setattr(services, "register_counts_sync", slow)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(branch, user, iin) -> None:
        try:
            with time_machine.travel("2026-12-02 09:00 +0000", tick=True):
                start.wait()
                citizen_report_register(
                    branch=branch,
                    received_on=datetime.date(2026, 11, 30),
                    channel="phone",
                    offence="theft",
                    law_enforcement_staff=False,
                    iin=iin,
                    full_name="DEMO Person",
                    phone="",
                    user=user,
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(b, u, i)) for (b, u), i in zip(people, iins(2, "race"), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    received = Value.objects.get(
        indicator__code="citizen_reports.received", region=astana, period_start=datetime.date(2026, 11, 1)
    )
    assert received.value == 2
