"""The register's cast beyond the main one (the Astana branch, its coordinator and head are
in tests/conftest.py): a project-office member who holds the permission to see personal
data, and synthetic citizens whose IINs have valid check digits."""

import csv
import datetime
import io
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

from agencies.models import RegionalBranch
from agencies.roles import PROJECT_OFFICE_GROUP
from citizens.demo import synthetic_iin
from citizens.import_file import COLUMNS
from tests.factories import UserFactory

# Written so they are unmistakable in a dump: nothing else in the database says these.
PEOPLE = [
    ("Zhumagaliyeva Perizat Sentinelqyzy", "+77000001111"),
    ("Ospanov Berik Sentinelovich", "+77000002222"),
    ("Tulegenova Aliya Sentinelqyzy", "+77000003333"),
]


@pytest.fixture
def viewer(db: None):
    """Project-office staff who were given "view citizens' personal data" in person."""
    user = UserFactory(username="office.dpo", is_staff=True)
    user.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    user.user_permissions.add(Permission.objects.get(codename="view_citizen_personal_data"))
    return user


def iins(n: int, seed: str = "tests") -> list[str]:
    rng = random.Random(seed)
    return [synthetic_iin(rng) for _ in range(n)]


def row(**changes: str) -> dict[str, str]:
    base = {
        "agency": "gpo",
        "region": "710000000",
        "received_on": "2026-03-02",
        "channel": "phone",
        "offence": "theft",
        "status": "received",
        "decided_on": "",
        "decision_no": "",
        "reward": "",
        "amount_kzt": "",
        "awarded_on": "",
        "law_enforcement_staff": "no",
        "iin": iins(1)[0],
        "full_name": PEOPLE[0][0],
        "phone": PEOPLE[0][1],
    }
    base.update(changes)
    return base


def csv_file(tmp_path: Path, rows: list[dict[str, str]], name: str = "register.csv") -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def three_people() -> list[dict[str, str]]:
    """A received report, a confirmed one rewarded with money, and one not confirmed."""
    a, b, c = iins(3)
    return [
        row(iin=a, full_name=PEOPLE[0][0], phone=PEOPLE[0][1]),
        row(
            iin=b,
            full_name=PEOPLE[1][0],
            phone=PEOPLE[1][1],
            region="750000000",
            status="confirmed",
            decided_on="2026-04-10",
            decision_no="12-345",
            reward="money",
            amount_kzt="150000",
            awarded_on="2026-04-20",
        ),
        row(
            iin=c,
            full_name=PEOPLE[2][0],
            phone=PEOPLE[2][1],
            status="not_confirmed",
            decided_on="2026-03-20",
            received_on="2026-02-27",
        ),
    ]


@pytest.fixture
def secrets_of() -> Callable[[list[dict[str, str]]], list[str]]:
    """Every personal value of some rows, and the IINs' last eight digits too."""

    def collect(rows: list[dict[str, str]]) -> list[str]:
        found = []
        for r in rows:
            found += [r["iin"], r["iin"][:8], r["full_name"], r["full_name"].split()[0], r["phone"]]
        return found

    return collect


@pytest.fixture
def almaty_branch(coordinator_almaty) -> RegionalBranch:
    return RegionalBranch.objects.get(agency__code="gpo", region__kato="750000000")


TODAY = datetime.date(2026, 12, 2)
