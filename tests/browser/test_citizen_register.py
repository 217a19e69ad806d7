"""The citizen register in a real browser: the Astana coordinator registers a report and
records the check; the branch head rewards it; the page shows the person only masked.
Screenshots in var/screenshots/."""

import datetime

import pytest
import time_machine

from agencies.models import Membership, MembershipRole, RegionalBranch
from citizens.models import CitizenReport
from tests.citizens.conftest import iins
from tests.factories import UserFactory

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_citizens_report_from_registration_to_reward(page, screenshot, coordinator_astana) -> None:
    with time_machine.travel(datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC), tick=True):
        branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
        Membership.objects.create(
            user=UserFactory(username="head.astana"), branch=branch, role=MembershipRole.REGIONAL_HEAD
        )
        iin = iins(1, seed="browser")[0]

        log_in(page, "/login/", "coordinator.astana")
        page.get_by_role("link", name="Citizen register").click()
        page.fill("#id_received_on", "2026-11-02")
        page.select_option("#id_offence", "internet_fraud")
        page.fill("#id_iin", iin[:11] + str((int(iin[11]) + 1) % 10))
        page.fill("#id_full_name", "DEMO Browser Person")
        page.fill("#id_phone", "+77000004444")
        page.get_by_role("button", name="Register", exact=True).click()
        assert "the IIN is not 12 digits with a valid check digit" in page.content()
        assert page.locator("#id_full_name").input_value() == ""  # never written back
        screenshot("citizens-01-bad-iin")
        page.fill("#id_iin", iin)
        page.fill("#id_full_name", "DEMO Browser Person")
        page.fill("#id_phone", "+77000004444")
        page.get_by_role("button", name="Register", exact=True).click()
        assert "The report was registered." in page.content()
        assert f"********{iin[-4:]}" in page.content() and iin not in page.content()
        page.select_option("#id_status", "confirmed")
        page.fill("#id_decided_on", "2026-11-04")
        page.fill("#id_decision_no", "2026-11-77")
        page.get_by_role("button", name="Record the outcome").click()
        assert "The head of the branch decides the reward." in page.content()
        screenshot("citizens-02-confirmed")

        log_in(page, "/login/", "head.astana")
        page.goto(f"/citizens/{CitizenReport.objects.get().pk}/")
        page.select_option("#id_reward", "money")
        page.fill("#id_amount_kzt", "120000")
        page.fill("#id_awarded_on", "2026-11-05")
        page.get_by_role("button", name="Record the reward").click()
        assert "The reward was recorded." in page.content()
        assert page.locator("#id_amount_kzt").input_value() == "120000.00"  # to add the payment later
        screenshot("citizens-03-rewarded")
        report = CitizenReport.objects.get()
        assert (report.status, report.reward, report.amount_kzt) == ("confirmed", "money", 120000)
