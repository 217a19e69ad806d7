"""Demo register: citizens' reports to the Prosecutor's Office branches since July 2025,
with plausible outcomes and rewards, from clearly synthetic people: names marked "DEMO",
IINs whose check digit is valid and whose serial part is 9999, phones in the unassigned
+7 700 000 block. Deterministic; run again, it writes nothing new.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from agencies.models import RegionalBranch
from regions.models import Region

from .identity import iin_check_digit
from .import_file import CheckedRow
from .models import Channel, CitizenReport, CitizenReportStatus, Offence, Reward
from .services import citizen_kpis_sync, citizen_reports_import

FIRST_DAY = datetime.date(2025, 7, 1)
DEMO_AGENCY = "gpo"
FIRST_NAMES = ("Айбек", "Дана", "Ерлан", "Гүлнар", "Нұрлан", "Сауле", "Тимур", "Жанар", "Арман", "Мадина")
LAST_NAMES = ("Демоұлы", "Демоқызы", "Тестов", "Тестова", "Үлгіұлы", "Үлгіқызы")
OFFENCE_WEIGHTS = {
    Offence.THEFT: 20,
    Offence.FRAUD: 14,
    Offence.INTERNET_FRAUD: 18,
    Offence.DRUGS: 10,
    Offence.ALCOHOL_SALES: 12,
    Offence.HOOLIGANISM: 9,
    Offence.CORRUPTION: 6,
    Offence.ETHICS: 4,
    Offence.OTHER: 7,
}


def synthetic_iin(rng: random.Random) -> str:
    """A born-between-1960-and-2005 IIN with serial 9999 and a valid check digit."""
    while True:
        born = datetime.date(rng.randint(1960, 2005), rng.randint(1, 12), rng.randint(1, 28))
        century_sex = (3 if born.year < 2000 else 5) + rng.randint(0, 1)
        first_eleven = f"{born:%y%m%d}{century_sex}9999"
        check = iin_check_digit(first_eleven)
        if check is not None:
            return f"{first_eleven}{check}"


def _day(rng: random.Random, after: datetime.date, low: int, high: int, today: datetime.date) -> datetime.date:
    return min(after + datetime.timedelta(days=rng.randint(low, high)), today)


def _reports(branch: RegionalBranch, today: datetime.date) -> list[CheckedRow]:
    rng = random.Random(f"demo-citizens-{branch.region.kato}")  # noqa: S311 - demo data, not secrets
    rows: list[CheckedRow] = []
    day = FIRST_DAY
    while day <= today:
        received_on = day
        day += datetime.timedelta(days=rng.randint(3, 12))
        staff = rng.random() < 0.05
        report = CitizenReport(
            branch=branch,
            received_on=received_on,
            channel=rng.choice(Channel.values),
            offence=rng.choices(list(OFFENCE_WEIGHTS), weights=list(OFFENCE_WEIGHTS.values()))[0],
            law_enforcement_staff=staff,
        )
        if (today - received_on).days > 45 or rng.random() < 0.3:
            report.decided_on = _day(rng, received_on, 7, 45, today)
            confirmed = rng.random() < 0.7
            report.status = CitizenReportStatus.CONFIRMED if confirmed else CitizenReportStatus.NOT_CONFIRMED
            if confirmed:
                report.decision_no = f"DEMO-{received_on:%Y}-{rng.randint(100, 9999)}"
                if rng.random() < 0.6:
                    kinds = [Reward.THANKS, Reward.CERTIFICATE] if staff else [*Reward.values[1:]]
                    report.reward = rng.choice(kinds)
                    report.awarded_on = _day(rng, report.decided_on, 3, 20, today)
                    if report.reward == Reward.MONEY:
                        report.amount_kzt = Decimal(rng.randrange(50_000, 300_001, 5_000))
                        if (today - report.awarded_on).days > 14:
                            report.paid_on = _day(rng, report.awarded_on, 5, 14, today)
        name = f"DEMO {rng.choice(LAST_NAMES)} {rng.choice(FIRST_NAMES)}"
        phone = f"+7700000{rng.randint(0, 9999):04d}"
        rows.append(CheckedRow(0, report, synthetic_iin(rng), name, phone))
    return rows


@transaction.atomic
def seed_citizen_register() -> str:
    """Fill an empty register with the demo's reports and count the KPIs from it."""
    owner = User.objects.filter(username="office").first()
    if CitizenReport.objects.exists():
        citizen_kpis_sync(user=owner)
        return "The citizen register has reports already; its KPIs were recounted."
    today = timezone.localdate()
    rows: list[CheckedRow] = []
    for branch in RegionalBranch.objects.filter(
        agency__code=DEMO_AGENCY, region__in=Region.objects.top_level()
    ).select_related("region"):
        rows += _reports(branch, today)
    written = citizen_reports_import(rows=rows, user=owner)
    return f"The citizen register holds {written} demo reports."
