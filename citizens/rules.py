"""The register's rules, in one place for the portal, the admin and the import alike.

Each check returns problems as (field, message); a message names what is wrong and
never quotes the value, so a personal number cannot reach an error page or a log.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .identity import iin_is_valid
from .models import CitizenReportStatus, Reward

Problems = list[tuple[str, str]]
MAX_NAME_LENGTH = 255
MAX_PHONE_LENGTH = 32


def personal_data_problems(*, iin: str, full_name: str, phone: str) -> Problems:
    problems: Problems = []
    if not iin:
        problems.append(("iin", _("the IIN is required")))
    elif not iin_is_valid(iin):
        problems.append(("iin", _("the IIN is not 12 digits with a valid check digit")))
    if not full_name:
        problems.append(("full_name", _("the full name is required")))
    elif len(full_name) > MAX_NAME_LENGTH:
        problems.append(("full_name", _("the full name is longer than %(n)s characters") % {"n": MAX_NAME_LENGTH}))
    digits = sum(c.isdigit() for c in phone)
    if phone and (digits < 10 or digits > 15 or len(phone) > MAX_PHONE_LENGTH):
        problems.append(("phone", _("the phone number is not 10 to 15 digits")))
    return problems


def date_problems(*, field: str, day: datetime.date | None, today: datetime.date) -> Problems:
    """A date the register can hold: not in the future, not before the register began
    (`CITIZENS_REGISTER_START`)."""
    if day is not None and day > today:
        return [(field, _("the date is in the future"))]
    start: datetime.date = settings.CITIZENS_REGISTER_START
    if day is not None and day < start:
        return [(field, _("the register has no dates before %(start)s") % {"start": date_format(start, "DATE_FORMAT")})]
    return []


def decision_problems(
    *, status: str, decided_on: datetime.date | None, decision_no: str, received_on: datetime.date
) -> Problems:
    problems: Problems = []
    if status == CitizenReportStatus.RECEIVED:
        if decided_on is not None or decision_no:
            problems.append(("decided_on", _("a report still being checked has no decision yet")))
        return problems
    if decided_on is None:
        problems.append(("decided_on", _("the date of the decision is required")))
    elif decided_on < received_on:
        problems.append(("decided_on", _("the decision cannot come before the report was received")))
    if status == CitizenReportStatus.CONFIRMED and not decision_no:
        problems.append(("decision_no", _("a confirmed report needs the number of the procedural decision")))
    return problems


def reward_problems(
    *,
    status: str,
    reward: str,
    amount_kzt: Decimal | None,
    awarded_on: datetime.date | None,
    paid_on: datetime.date | None,
    law_enforcement_staff: bool,
    decided_on: datetime.date | None,
) -> Problems:
    problems: Problems = []
    if reward == Reward.NONE:
        if amount_kzt is not None or awarded_on is not None or paid_on is not None:
            problems.append(("reward", _("without a reward there is no amount, award date or payment")))
        return problems
    if status != CitizenReportStatus.CONFIRMED:
        problems.append(("reward", _("only a confirmed report is rewarded")))
    if reward == Reward.MONEY:
        if law_enforcement_staff:
            problems.append(("reward", _("staff of law-enforcement bodies get no money reward")))
        if amount_kzt is None or amount_kzt <= 0:
            problems.append(("amount_kzt", _("a money reward needs a positive amount in tenge")))
    else:
        if amount_kzt is not None:
            problems.append(("amount_kzt", _("an amount goes only with a money reward")))
        if paid_on is not None:
            problems.append(("paid_on", _("a payment date goes only with a money reward")))
    if awarded_on is None:
        problems.append(("awarded_on", _("the date of the award is required")))
    elif decided_on is not None and awarded_on < decided_on:
        problems.append(("awarded_on", _("the award cannot come before the decision")))
    if paid_on is not None and awarded_on is not None and paid_on < awarded_on:
        problems.append(("paid_on", _("the payment cannot come before the award")))
    return problems
