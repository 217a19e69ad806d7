"""Admin edits and approvals of one value racing each other on PostgreSQL: each acts on
the version its person saw, so one wins and the others are refused, never lost."""

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from initiatives.models import Value
from tests.factories import ValueFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_once(jobs: list[Callable[[], int]]) -> list[int]:
    start = threading.Barrier(len(jobs))
    answers: list[int] = []
    errors: list[BaseException] = []

    def run(job: Callable[[], int]) -> None:
        try:
            start.wait()
            answers.append(job())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    return answers


def _staff(office) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(office)
    return client


def _edit(client: Client, value: Value, number: int, seen: str) -> Callable[[], int]:
    data = {
        "indicator": str(value.indicator_id),
        "region": str(value.region_id),
        "period": "2025-09",
        "value": str(number),
        "source": "manual",
        "comment": "",
        "seen_version": seen,
    }
    return lambda: client.post(f"/admin/initiatives/value/{value.pk}/change/", data).status_code


def _approve(client: Client, value: Value, seen: str) -> Callable[[], int]:
    data = {"action": "approve", "_selected_action": [value.pk], f"seen_{value.pk}": seen}
    return lambda: client.post("/admin/initiatives/value/", data).status_code


def test_of_ten_concurrent_edits_from_one_version_one_lands_and_nine_are_refused(reference_data, office) -> None:
    value = ValueFactory(approved=False, source="manual", value=100)
    seen = value.version
    clients = [_staff(office) for _ in range(10)]

    answers = _at_once([_edit(c, value, 101 + n, seen) for n, c in enumerate(clients)])

    assert sorted(answers) == [200] * 9 + [302]  # refused ones keep their form (200)
    value.refresh_from_db()
    assert value.value in {Decimal(101 + n) for n in range(10)}
    assert value.history.count() == 2  # the factory's row and the one edit that landed


def test_approvals_racing_edits_never_approve_a_number_nobody_saw(reference_data, office) -> None:
    value = ValueFactory(approved=False, source="manual", value=100)
    seen = value.version  # everyone looks at 100
    editors = [_edit(_staff(office), value, 2000 + n, seen) for n in range(5)]
    approvers = [_approve(_staff(office), value, seen) for _ in range(5)]

    _at_once([job for pair in zip(editors, approvers, strict=True) for job in pair])

    value.refresh_from_db()
    # Either an approval of 100 came first (and every edit was refused), or an edit came
    # first (and every approval of 100 was refused): never an approved 20xx.
    assert (value.value, value.approval_state) in {(Decimal(100), "approved")} | {
        (Decimal(2000 + n), "pending") for n in range(5)
    }
    assert value.history.count() == 2
