"""The branch's page: register a report, record the check's outcome, and (the head only)
the reward. Another branch's report is not found; personal data are never shown in
clear nor written back into the page."""

import datetime

import pytest
from django.urls import reverse

from citizens.models import CitizenReport, PersonalDataReveal
from citizens.services import citizen_report_register
from initiatives.models import Value

from .conftest import PEOPLE, iins

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]


def form(branch, **changes):
    data = {
        "branch": branch.pk,
        "received_on": "2026-11-20",
        "channel": "online",
        "offence": "internet_fraud",
        "iin": iins(1)[0],
        "full_name": PEOPLE[0][0],
        "phone": PEOPLE[0][1],
    }
    data.update(changes)
    return data


def registered(branch, user, **changes) -> CitizenReport:
    return citizen_report_register(
        branch=branch,
        received_on=datetime.date(2026, 11, 2),
        channel="phone",
        offence="theft",
        law_enforcement_staff=False,
        iin=changes.get("iin", iins(1)[0]),
        full_name=PEOPLE[0][0],
        phone=PEOPLE[0][1],
        user=user,
    )


def test_branch_staff_register_a_report_and_see_it_masked(client, coordinator_astana, branch_astana):
    client.force_login(coordinator_astana)
    response = client.post(reverse("citizen_register"), form(branch_astana))
    report = CitizenReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("citizen_report", args=[report.pk])
    page = client.get(response.url).content.decode()
    iin = form(branch_astana)["iin"]
    assert f"********{iin[-4:]}" in page
    assert iin not in page and PEOPLE[0][0] not in page and PEOPLE[0][1] not in page
    assert not PersonalDataReveal.objects.exists()


def test_a_bad_iin_is_refused_without_echoing_it_or_the_other_personal_fields(
    client, coordinator_astana, branch_astana
):
    client.force_login(coordinator_astana)
    good = iins(1)[0]
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    response = client.post(reverse("citizen_register"), form(branch_astana, iin=bad))
    page = response.content.decode()
    assert response.status_code == 400
    assert "the IIN is not 12 digits with a valid check digit" in page
    assert bad not in page and PEOPLE[0][0] not in page and PEOPLE[0][1] not in page
    assert not CitizenReport.objects.exists()


def test_a_refused_form_says_the_personal_fields_were_not_kept_and_lists_its_errors(
    client, coordinator_astana, branch_astana
):
    client.force_login(coordinator_astana)
    response = client.post(reverse("citizen_register"), form(branch_astana, received_on="2026-12-20"))
    page = response.content.decode()
    assert response.status_code == 400
    # The error summary, as on the report form, links to the field to fix
    summary = page[page.index('id="error-summary"') : page.index("</ul>", page.index('id="error-summary"'))]
    assert "Nothing was saved" in summary and 'href="#id_received_on"' in summary
    # and the page says plainly, at the top and beside each, that the personal fields are empty again
    assert "these fields are empty again: IIN, full name, phone. Type them again" in page
    assert page.count("Not kept: type it again.") == 3
    for name in ("iin", "full_name", "phone"):
        field = page.index(f'name="{name}"')
        assert "Not kept: type it again." in page[field : field + 200]
    assert form(branch_astana)["iin"] not in page and PEOPLE[0][0] not in page and PEOPLE[0][1] not in page


def test_a_personal_field_left_empty_is_not_said_to_be_lost(client, coordinator_astana, branch_astana):
    client.force_login(coordinator_astana)
    response = client.post(reverse("citizen_register"), form(branch_astana, phone="", received_on="2026-12-20"))
    page = response.content.decode()
    assert "these fields are empty again: IIN, full name. Type them again" in page
    assert page.count("Not kept: type it again.") == 2


def test_the_register_form_says_nothing_of_lost_fields_before_it_is_sent(client, coordinator_astana):
    client.force_login(coordinator_astana)
    page = client.get(reverse("citizen_register")).content.decode()
    assert "Not kept" not in page and "error-summary" not in page


def test_another_branchs_report_is_not_found(client, coordinator_almaty, coordinator_astana, branch_astana):
    report = registered(branch_astana, coordinator_astana)
    client.force_login(coordinator_almaty)
    assert client.get(reverse("citizen_report", args=[report.pk])).status_code == 404
    response = client.post(
        reverse("citizen_report", args=[report.pk]),
        {"action": "decide", "status": "confirmed", "decided_on": "2026-11-10", "decision_no": "1"},
    )
    assert response.status_code == 404
    assert CitizenReport.objects.get().status == "received"


def test_a_coordinator_cannot_register_for_another_branch(client, coordinator_almaty, branch_astana):
    client.force_login(coordinator_almaty)
    response = client.post(reverse("citizen_register"), form(branch_astana))
    assert response.status_code == 400
    assert not CitizenReport.objects.exists()


def test_people_without_a_branch_have_no_register_page(client, office):
    client.force_login(office)
    assert client.get(reverse("citizen_register")).status_code == 404
    client.logout()
    assert client.get(reverse("citizen_register")).status_code == 302  # to the log-in


def test_staff_record_the_outcome_and_only_the_head_the_reward(client, coordinator_astana, head_astana, branch_astana):
    report = registered(branch_astana, coordinator_astana)
    url = reverse("citizen_report", args=[report.pk])
    client.force_login(coordinator_astana)
    decided = client.post(
        url, {"action": "decide", "status": "confirmed", "decided_on": "2026-11-10", "decision_no": "5-17"}
    )
    assert decided.status_code == 302
    refused = client.post(
        url, {"action": "reward", "reward": "money", "amount_kzt": "100000", "awarded_on": "2026-11-20"}
    )
    assert refused.status_code == 400 and CitizenReport.objects.get().reward == "none"
    client.force_login(head_astana)
    assert "Reward (decided by the head of the branch)" in client.get(url).content.decode()
    rewarded = client.post(
        url, {"action": "reward", "reward": "money", "amount_kzt": "100000", "awarded_on": "2026-11-20"}
    )
    assert rewarded.status_code == 302
    report.refresh_from_db()
    assert (report.reward, report.amount_kzt, report.rewarded_by, report.decided_by) == (
        "money",
        100000,
        head_astana,
        coordinator_astana,
    )


def test_money_is_refused_for_law_enforcement_staff_and_for_a_report_not_confirmed(
    client, coordinator_astana, head_astana, branch_astana
):
    report = registered(branch_astana, coordinator_astana)
    url = reverse("citizen_report", args=[report.pk])
    client.force_login(head_astana)
    money = {"action": "reward", "reward": "money", "amount_kzt": "50000", "awarded_on": "2026-11-20"}
    client.post(url, {"action": "decide", "status": "not_confirmed", "decided_on": "2026-11-10"})
    assert "only a confirmed report is rewarded" in client.post(url, money).content.decode()
    other = registered(branch_astana, coordinator_astana, iin=iins(1, seed="b")[0])
    url = reverse("citizen_report", args=[other.pk])
    client.post(url, {"action": "decide", "status": "confirmed", "decided_on": "2026-11-10", "decision_no": "1"})
    page = client.post(url, {**money, "law_enforcement_staff": "on"}).content.decode()
    assert "staff of law-enforcement bodies get no money reward" in page
    thanks = {"action": "reward", "reward": "thanks", "awarded_on": "2026-11-20", "paid_on": "2026-11-21"}
    assert "a payment date goes only with a money reward" in client.post(url, thanks).content.decode()
    assert set(CitizenReport.objects.values_list("reward", flat=True)) == {"none"}


def test_a_repeat_reporter_is_pointed_out_by_the_keyed_hash(client, coordinator_astana, branch_astana):
    same = iins(1, seed="same")[0]
    registered(branch_astana, coordinator_astana, iin=same)
    second = registered(branch_astana, coordinator_astana, iin=same)
    client.force_login(coordinator_astana)
    page = client.get(reverse("citizen_report", args=[second.pk])).content.decode()
    assert "The same person made 1 other report to this branch." in page


def test_the_register_page_costs_the_same_queries_whatever_the_number_of_reports(
    client, coordinator_astana, branch_astana, assert_queries_do_not_grow
):
    client.force_login(coordinator_astana)
    seeds = iter(range(1000))
    registered(branch_astana, coordinator_astana, iin=iins(1, seed="first")[0])

    def add_rows():
        for _ in range(3):
            registered(branch_astana, coordinator_astana, iin=iins(1, seed=f"q{next(seeds)}")[0])

    assert_queries_do_not_grow(lambda: client.get(reverse("citizen_register")), add_rows, budget=8)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_date_fields_carry_an_iso_value_the_browser_accepts_in_every_language(
    client, settings, coordinator_astana, branch_astana, language
):
    """A date input shows only a value in ISO form: "02.12.2026" (the kk and ru format)
    leaves the field empty in the browser."""
    from django.utils import translation

    from citizens.portal.forms import DecisionForm, RewardForm

    client.force_login(coordinator_astana)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("citizen_register")).content.decode()
    assert f'lang="{language}"' in page
    assert 'type="date" name="received_on" value="2026-12-02"' in page
    day = datetime.date(2026, 12, 2)
    with translation.override(language):
        decision = str(DecisionForm(initial={"decided_on": day})["decided_on"])
        reward = RewardForm(initial={"awarded_on": day, "paid_on": datetime.date(2026, 12, 1)})
        awarded, paid = str(reward["awarded_on"]), str(reward["paid_on"])
    assert 'value="2026-12-02"' in decision and 'value="2026-12-02"' in awarded and 'value="2026-12-01"' in paid


@pytest.mark.parametrize("day", ["1899-12-31", "1900-01-01", "2019-12-31"])
def test_a_date_before_the_register_began_is_refused_in_words(client, coordinator_astana, branch_astana, day):
    client.force_login(coordinator_astana)
    response = client.post(reverse("citizen_register"), form(branch_astana, received_on=day))
    assert response.status_code == 400  # the form again, with what is wrong
    assert "the register has no dates before 1 January 2020" in response.content.decode()
    assert not CitizenReport.objects.exists()
    assert not Value.objects.filter(indicator__code__startswith="citizen_reports.").exists()


def test_the_registers_first_day_is_accepted_and_its_start_is_a_setting(
    client, coordinator_astana, branch_astana, settings
):
    client.force_login(coordinator_astana)
    assert client.post(reverse("citizen_register"), form(branch_astana, received_on="2020-01-01")).status_code == 302
    settings.CITIZENS_REGISTER_START = datetime.date(2025, 7, 1)
    refused = client.post(reverse("citizen_register"), form(branch_astana, received_on="2025-06-30"))
    assert "the register has no dates before 1 July 2025" in refused.content.decode()
    assert CitizenReport.objects.count() == 1
