"""Every write of a value goes through the value services, the admin's too: the version
seen, an add over a value already there, an official figure, and who deleted what."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from initiatives.models import Value, ValueSource
from initiatives.periods import Period
from initiatives.services.values import StaleValueError, ValueExists, value_delete, value_set, values_delete
from tests.factories import ValueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("early_october")]
SEPTEMBER = Period.parse("2025-09")


def _set(there: Value, number: int, office, **seen) -> Value:
    return value_set(
        indicator=there.indicator,
        region=there.region,
        period=SEPTEMBER,
        value=Decimal(number),
        source=ValueSource.MANUAL,
        user=office,
        **seen,
    )


def test_one_rule_says_which_values_are_official() -> None:
    official = ValueFactory(source=ValueSource.IMPORT, approved=True)
    pending_import = ValueFactory(source=ValueSource.IMPORT, approved=False)
    typed = ValueFactory(source=ValueSource.MANUAL, approved=True)
    assert [official.is_official, pending_import.is_official, typed.is_official] == [True, False, False]
    assert list(Value.objects.official()) == [official]


def test_an_add_over_a_value_already_there_is_refused_and_overwrites_nothing(office) -> None:
    there = ValueFactory(source=ValueSource.MANUAL, value=100, approved=False)
    with pytest.raises(ValueExists):
        _set(there, 150, office, version="")
    there.refresh_from_db()
    assert there.value == Decimal(100)
    assert _set(there, 150, office).value == Decimal(150)  # an import or a report replaces it, as before


def test_a_write_over_a_version_nobody_saw_is_refused(office) -> None:
    there = ValueFactory(source=ValueSource.MANUAL, value=100, approved=False)
    seen = there.version
    _set(there, 111, office, version=seen)
    with pytest.raises(StaleValueError):
        _set(there, 222, office, version=seen)
    with pytest.raises(StaleValueError):
        _set(there, 222, office, value_id=there.pk, version=seen)
    there.refresh_from_db()
    assert there.value == Decimal(111)


def test_an_edit_that_keeps_the_number_keeps_the_approval_and_one_that_changes_it_does_not(office) -> None:
    there = ValueFactory(source=ValueSource.MANUAL, value=100, approved=True)
    kept = _set(there, 100, office, value_id=there.pk, version=there.version)
    assert kept.approval_state == "approved"
    changed = _set(there, 101, office, value_id=there.pk, version=kept.version)
    assert (changed.approval_state, changed.approved_at) == ("pending", None)


def test_an_edit_that_moves_a_value_onto_a_key_taken_is_refused(office) -> None:
    august = ValueFactory(source=ValueSource.MANUAL, period="2025-08", approved=False)
    ValueFactory(indicator=august.indicator, source=ValueSource.MANUAL, period="2025-09", approved=False)
    with pytest.raises(ValueExists):
        _set(august, 5, office, value_id=august.pk, version=august.version)
    august.refresh_from_db()
    assert str(august.period) == "2025-08"


def test_a_delete_is_in_the_history_as_its_authors_and_refuses_a_stale_version_and_an_official_figure(
    office,
) -> None:
    typed = ValueFactory(source=ValueSource.MANUAL, approved=False)
    with pytest.raises(StaleValueError):
        value_delete(value=typed, user=office, version="an older one")
    value_delete(value=typed, user=office, version=typed.version)
    assert not Value.objects.filter(pk=typed.pk).exists()
    gone = Value.history.filter(id=typed.pk).latest("history_date")
    assert (gone.history_type, gone.history_user) == ("-", office)

    official = ValueFactory(source=ValueSource.IMPORT, approved=True, period="2025-08")
    with pytest.raises(PermissionDenied):
        value_delete(value=official, user=office)
    assert Value.objects.filter(pk=official.pk).exists()


def test_the_admins_deletes_go_through_the_service_and_never_reach_an_official_figure(client: Client, office) -> None:
    client.force_login(office)
    typed = [ValueFactory(source=ValueSource.MANUAL, approved=False, period=p) for p in ("2025-07", "2025-08")]
    one = ValueFactory(source=ValueSource.MANUAL, approved=False, period="2025-06")
    official = ValueFactory(source=ValueSource.IMPORT, approved=True, period="2025-09", indicator=one.indicator)
    everything = [t.pk for t in typed] + [official.pk]
    chosen = {"action": "delete_selected", "post": "yes"}
    assert client.post("/admin/initiatives/value/", {**chosen, "_selected_action": everything}).status_code == 403
    assert client.post("/admin/initiatives/value/", {**chosen, "_selected_action": everything[:2]}).status_code == 302
    assert client.post(f"/admin/initiatives/value/{one.pk}/delete/", {"post": "yes"}).status_code == 302
    assert list(Value.objects.all()) == [official]
    for gone in [*typed, one]:
        assert Value.history.filter(id=gone.pk, history_type="-").get().history_user == office


def test_several_values_deleted_at_once_go_all_or_none(office) -> None:
    typed = [ValueFactory(source=ValueSource.MANUAL, approved=False, period=p) for p in ("2025-07", "2025-08")]
    official = ValueFactory(source=ValueSource.IMPORT, approved=True, period="2025-09", indicator=typed[0].indicator)

    with pytest.raises(PermissionDenied):  # the official figure comes last: the first two stay
        values_delete(values=[*typed, official], user=office)
    assert Value.objects.count() == 3

    assert values_delete(values=typed, user=office) == 2
    assert list(Value.objects.all()) == [official]


def test_an_official_figure_is_not_overwritten_by_hand(office) -> None:
    official = ValueFactory(source=ValueSource.IMPORT, approved=True, value=654)
    with pytest.raises(ValidationError):
        _set(official, 1, office, value_id=official.pk, version=official.version)
    official.refresh_from_db()
    assert official.value == Decimal(654)
