"""No one holds two keys to a release: the command line names an active publisher, the
database refuses a confirmation without one or by the same person, and a release that
has gone out cannot be bent, not even in SQL: no figure added, no table emptied, no
period, moment, person or title changed. Titles come in three languages."""

import datetime
import importlib
import io
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from agencies.roles import PROJECT_OFFICE_GROUP
from initiatives.models import Indicator, PublicFigure, Release, ReleaseFigure, ReleaseState
from initiatives.periods import Period
from initiatives.services.releases import ReleaseError, release_confirm, release_publish, release_withdraw
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

duties = importlib.import_module("initiatives.migrations.0033_release_duties_in_the_database")
T0 = datetime.datetime(2026, 7, 10, 9, 0, tzinfo=datetime.UTC)
Q1 = Period.parse("2026-Q1")


@pytest.fixture
def deputy(db: None):  # type: ignore[no-untyped-def]
    user = UserFactory(username="office.deputy", is_staff=True)
    user.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    return user


@pytest.fixture
def confirmed(office, deputy) -> Release:  # type: ignore[no-untyped-def]
    with time_machine.travel(T0, tick=True):
        release = release_publish(period=Q1, titles={"kk": "1-тоқсан", "ru": "I квартал", "en": "Q1"}, user=office)
        return release_confirm(release=release, user=deputy)


def publish(*args: str) -> str:
    out = io.StringIO()
    with time_machine.travel(T0, tick=True):
        call_command("publish_release", *args, stdout=out)
    return out.getvalue()


# --- The command line names an active member of the office. --------------------------


def test_the_command_line_refuses_to_publish_without_naming_who_publishes(office) -> None:
    with pytest.raises(CommandError, match="--by"):
        publish("2026-Q1")
    assert not Release.objects.exists()


def test_the_command_line_refuses_a_deactivated_office_account_and_a_coordinator(office, coordinator_astana) -> None:
    office.is_active = False
    office.save()
    for who in ("office", "coordinator.astana", "nobody"):
        with pytest.raises(CommandError, match="--by"):
            publish("2026-Q1", "--by", who)
    assert not Release.objects.exists()


def test_a_deactivated_member_of_the_office_can_neither_publish_nor_confirm(office, deputy) -> None:
    release = release_publish(period=Q1, user=office)
    deputy.is_active = False
    deputy.save()
    deputy = type(deputy).objects.get(pk=deputy.pk)  # nothing cached from before
    with pytest.raises(PermissionDenied, match="Only the project office"):
        release_confirm(release=release, user=deputy)
    with pytest.raises(PermissionDenied, match="Only the project office"):
        release_publish(period=Q1, user=deputy)


def test_the_command_line_records_its_publisher_who_then_cannot_confirm(office, deputy) -> None:
    said = publish("2026-Q1", "--by", "office", "--title", "Q1 2026")
    release = Release.objects.get()
    assert release.published_by == office and "published by office" in said
    assert (release.title_kk, release.title_ru, release.title_en) == ("Q1 2026", "Q1 2026", "Q1 2026")
    with pytest.raises(ReleaseError, match="another member"):
        release_confirm(release=release, user=office)
    assert release_confirm(release=release, user=deputy).state == ReleaseState.PUBLISHED


# --- The database refuses a confirmation without a publisher or by the publisher. ------


def test_the_database_refuses_a_confirmation_by_the_publisher_or_without_one(office, deputy) -> None:
    release = release_publish(period=Q1, user=office)
    pending = Release.objects.filter(pk=release.pk)
    now = datetime.datetime.now(tz=datetime.UTC)
    with pytest.raises(DatabaseError), transaction.atomic():
        pending.update(state="published", confirmed_by=office, confirmed_at=now)
    with pytest.raises(DatabaseError), transaction.atomic():
        pending.update(published_by=None)
        pending.update(state="published", confirmed_by=deputy, confirmed_at=now)
    pending.update(state="published", confirmed_by=deputy, confirmed_at=now)  # another person: fine
    with pytest.raises(DatabaseError), transaction.atomic():
        Release.objects.create(
            title_en="made up", period="2026-Q2", period_start=datetime.date(2026, 4, 1),
            period_end=datetime.date(2026, 6, 1), moment=now, state="published", confirmed_by=deputy,
            confirmed_at=now,
        )  # fmt: skip


def test_a_pending_release_without_its_publisher_is_not_confirmed_by_the_service(office, deputy) -> None:
    release = release_publish(period=Q1, user=office)
    Release.objects.filter(pk=release.pk).update(published_by=None)
    with pytest.raises(ReleaseError, match="without its publisher"):
        release_confirm(release=release, user=deputy)
    release.refresh_from_db()
    assert release.state == ReleaseState.PENDING


def _confirmed_as_of_old(release: Release, by: object) -> None:
    """Confirm a release the way nothing stopped before the rule: with no publisher (the
    rule is lifted in the test's transaction only, and put back as the migration has it)."""
    Release.objects.filter(pk=release.pk).update(published_by=None)  # still pending: allowed
    rule = "initiatives_release_confirmed_by_another_update"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check may wait on the table
            cursor.execute("ALTER TABLE initiatives_release DROP CONSTRAINT release_confirmed_by_another")
        else:
            cursor.execute(f"DROP TRIGGER {rule}")
        Release.objects.filter(pk=release.pk).update(state="published", confirmed_by=by, confirmed_at=T0)
        if connection.vendor == "postgresql":
            cursor.execute(duties.POSTGRES[-1])
        else:
            cursor.execute(f"CREATE TRIGGER {rule} {duties.SQLITE_TRIGGERS[rule]}")


def test_a_release_confirmed_before_the_rule_without_a_publisher_stays_and_can_be_withdrawn(office, deputy) -> None:
    release = release_publish(period=Q1, user=office)
    _confirmed_as_of_old(release, deputy)
    release_withdraw(release=release, user=deputy, reason="published by no one")
    release.refresh_from_db()
    assert (release.state, release.published_by, release.confirmed_by) == (ReleaseState.WITHDRAWN, None, deputy)


@pytest.mark.postgres
def test_on_postgres_the_confirmation_rule_is_a_check_added_not_valid(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT convalidated FROM pg_constraint WHERE conname = 'release_confirmed_by_another'")
        assert cursor.fetchall() == [(False,)]


# --- A release that has gone out cannot be bent. -------------------------------------


def test_the_database_refuses_a_figure_added_to_a_release_that_has_gone_out(confirmed) -> None:
    village = Indicator.objects.exclude(pk__in=confirmed.figures.values("indicator")).first()
    assert village is not None
    for model in (ReleaseFigure, PublicFigure):
        with pytest.raises(DatabaseError), transaction.atomic():
            model.objects.create(release=confirmed, indicator=village, region=None, value=Decimal(1))
    assert not ReleaseFigure.objects.filter(release=confirmed, indicator=village).exists()


def test_a_pending_release_takes_its_figures_as_the_service_writes_them(office, deputy) -> None:
    release = release_publish(period=Q1, user=office)
    spare = Indicator.objects.exclude(pk__in=release.figures.values("indicator")).first()
    assert spare is not None
    ReleaseFigure.objects.create(release=release, indicator=spare, region=None)
    release = release_confirm(release=release, user=deputy)  # public figures derived before it went out
    assert PublicFigure.objects.filter(release=release).count() == release.figures.count()


@pytest.mark.postgres
def test_on_postgres_the_figure_tables_cannot_be_truncated(confirmed) -> None:
    for table in ("initiatives_releasefigure", "initiatives_publicfigure"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert ReleaseFigure.objects.filter(release=confirmed).exists()


def test_on_sqlite_deleting_every_figure_row_is_refused(confirmed) -> None:
    # SQLite has no TRUNCATE: an unqualified DELETE is its way to empty a table.
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's way to empty a table")
    for table in ("initiatives_releasefigure", "initiatives_publicfigure"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (our own table names)


@pytest.mark.parametrize(
    "change",
    [
        {"period": "2026-Q2"},
        {"period_start": datetime.date(2026, 4, 1)},
        {"moment": T0 + datetime.timedelta(days=30)},
        {"published_by": None},
        {"title_en": "Better numbers"},
        {"title_kk": "Басқа"},
        {"title_ru": "Другое"},
        {"confirmed_at": T0 + datetime.timedelta(days=1)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_the_database_refuses_to_change_a_confirmed_release(confirmed, change: dict[str, object]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        Release.objects.filter(pk=confirmed.pk).update(**change)


def test_a_confirmed_release_is_not_put_back_to_pending_to_slip_a_figure_in(confirmed) -> None:
    for state in ("pending", "withdrawn"):  # straight back, or by way of a withdrawal
        with pytest.raises(DatabaseError), transaction.atomic():
            if state == "withdrawn":
                Release.objects.filter(pk=confirmed.pk).update(state="withdrawn")
            Release.objects.filter(pk=confirmed.pk).update(state="pending")
    # Even where a script got the state back to pending, a confirmed release takes no figure.
    spare = Indicator.objects.exclude(pk__in=confirmed.figures.values("indicator")).first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER IF EXISTS initiatives_release_confirmed_frozen"
            + ("" if connection.vendor == "sqlite" else " ON initiatives_release")
        )
        Release.objects.filter(pk=confirmed.pk).update(state="pending")
        ReleaseFigure.objects.create(release=confirmed, indicator=spare, region=None, value=Decimal(1))
    confirmed.refresh_from_db()
    assert confirmed.state == "published" and not confirmed.figures.filter(indicator=spare).exists()


def test_a_withdrawn_release_stays_withdrawn(confirmed, office) -> None:
    release_withdraw(release=confirmed, user=office, reason="a wrong figure")
    with pytest.raises(DatabaseError), transaction.atomic():
        Release.objects.filter(pk=confirmed.pk).update(state="published")
    confirmed.refresh_from_db()
    assert confirmed.state == "withdrawn"


def test_a_confirmed_release_can_still_be_withdrawn_and_a_pending_one_retitled(confirmed, office) -> None:
    release_withdraw(release=confirmed, user=office, reason="a typo in the title")
    pending = release_publish(period=Q1, user=office)
    Release.objects.filter(pk=pending.pk).update(title_en="Q1, second try", period="2026-Q1")
    pending.refresh_from_db()
    assert pending.title_en == "Q1, second try"


def test_every_release_trigger_is_in_place(db: None) -> None:
    """A migration that rebuilds one of these tables on SQLite takes its triggers with it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'initiatives_%'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'initiatives_%'")
        names = {row[0] for row in cursor.fetchall()}
    wanted = {
        "initiatives_releasefigure_frozen_insert",
        "initiatives_publicfigure_frozen_insert",
        "initiatives_release_confirmed_frozen",
    }
    if connection.vendor == "sqlite":
        wanted |= {
            "initiatives_release_confirmed_by_another_update",
            "initiatives_release_confirmed_by_another_insert",
            *(f"initiatives_{t}figure_frozen_{v}" for t in ("release", "public") for v in ("update", "delete")),
        }
    else:
        wanted |= {f"initiatives_{t}figure_frozen{v}" for t in ("release", "public") for v in ("", "_truncate")}
    assert wanted <= names


# --- Titles in three languages. -------------------------------------------------------


def test_a_release_title_is_read_in_the_readers_language(confirmed) -> None:
    listed = {
        lang: Client().get("/api/v1/releases/", {"lang": lang}).json()["results"][0] for lang in ("kk", "ru", "en")
    }
    assert [listed[lang]["title"] for lang in ("kk", "ru", "en")] == ["1-тоқсан", "I квартал", "Q1"]
    assert {k: listed["ru"][k] for k in ("title_kk", "title_ru", "title_en")} == {
        "title_kk": "1-тоқсан",
        "title_ru": "I квартал",
        "title_en": "Q1",
    }
    for lang, title in (("kk", "1-тоқсан"), ("ru", "I квартал"), ("en", "Q1")):
        page = Client().get("/public/", {"lang": lang}).content.decode()
        assert f"“{title}”" in page or f"«{title}»" in page, lang


def test_a_release_without_titles_is_named_in_each_language(office) -> None:
    release = release_publish(period=Q1, user=office)
    assert release.title_en == "Figures for 2026-Q1"
    assert release.title_ru == "Цифры за 2026-Q1" and release.title_kk == "2026-Q1 кезеңінің сандары"


def test_the_command_line_takes_a_title_for_each_language(office) -> None:
    publish("2026-Q1", "--by", "office", "--title-kk", "Бірінші тоқсан", "--title-ru", "Первый квартал")
    release = Release.objects.get()
    assert (release.title_kk, release.title_ru) == ("Бірінші тоқсан", "Первый квартал")
    assert release.title_en == "Figures for 2026-Q1"


def test_the_admin_publishes_with_three_titles(office) -> None:
    client = Client()
    client.force_login(office)
    response = client.post(
        "/admin/initiatives/release/add/",
        {"period": "2026-Q1", "title_kk": "1-тоқсан", "title_ru": "I квартал", "title_en": "Q1"},
    )
    assert response.status_code == 302
    release = Release.objects.get()
    assert (release.title_kk, release.title_ru, release.title_en, release.published_by) == (
        "1-тоқсан",
        "I квартал",
        "Q1",
        office,
    )
    page = client.get(f"/admin/initiatives/release/{release.pk}/change/").content.decode()
    assert all(title in page for title in ("1-тоқсан", "I квартал", "Q1"))
    assert "I квартал" not in client.get("/admin/initiatives/release/").content.decode()  # the list speaks English


@pytest.mark.parametrize(
    ("title", "language"),
    [("Demo release 2026-01/2026-10", "en"), ("Цифры за 2026-Q1", "ru"), ("2026-Q1 кезеңінің сандары", "kk")],
)
def test_a_release_of_old_keeps_its_one_title_in_the_language_it_is_written_in(title: str, language: str) -> None:
    move = importlib.import_module("initiatives.migrations.0031_release_titles_from_the_one_title")
    assert move.language_of(title) == language
