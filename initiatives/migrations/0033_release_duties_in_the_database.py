"""What the database itself refuses about releases, whoever asks (the admin, a script, raw
SQL), beside 0026's refusal to update or delete figure rows:

- a figure row (release or public) added to a release that is no longer pending or has
  ever been confirmed;
- TRUNCATE of the figure tables (PostgreSQL; SQLite has no TRUNCATE, and its DELETE
  fires 0026's triggers);
- a change to a confirmed release's titles, period, moment, publisher, confirmer,
  confirmation time or the release it corrects, and any change of its state but to
  `withdrawn`; a withdrawn release never changes state again (so no figure is slipped
  in by putting a release back to pending and out again);
- a new confirmation without a publisher, or by the publisher. On PostgreSQL a CHECK
  added NOT VALID: releases from before, published from the command line without a
  publisher, stay as they are; the check also lets a withdrawal through, so they can
  still be withdrawn. On SQLite, which cannot add a constraint to a table, triggers on
  the confirmation itself.

SQLite drops a table's triggers when a migration rebuilds it: a later migration that
rebuilds one of these tables must put them back (tests/initiatives/test_release_duties.py
checks that each is there)."""

from django.db import migrations

FIGURES = ("initiatives_releasefigure", "initiatives_publicfigure")
RELEASE = "initiatives_release"
# Frozen once a release is confirmed.
FROZEN = (
    "title_kk",
    "title_ru",
    "title_en",
    "period",
    "period_start",
    "period_end",
    "moment",
    "published_by_id",
    "confirmed_by_id",
    "confirmed_at",
    "corrects_id",
    "erratum_reason",
)
CHANGED = " OR ".join(f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in FROZEN)
SQLITE_CHANGED = " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in FROZEN)
# A confirmed release only goes out of print; a withdrawn one stays withdrawn.
STATE_BENT = "(OLD.confirmed_at IS NOT NULL AND NEW.state <> OLD.state AND NEW.state <> 'withdrawn')"
WITHDRAWN_BENT = "(OLD.state = 'withdrawn' AND NEW.state <> 'withdrawn')"
CONFIRMED_BY_ANOTHER = "confirmed_by_id IS NULL OR state = 'withdrawn' OR (published_by_id IS NOT NULL AND published_by_id <> confirmed_by_id)"

POSTGRES = [
    """
    CREATE FUNCTION initiatives_refuse_figure_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- FOR SHARE waits for a confirmation under way, and then sees it.
      IF EXISTS (
        SELECT 1 FROM initiatives_release
        WHERE id = NEW.release_id AND (state <> 'pending' OR confirmed_at IS NOT NULL) FOR SHARE
      ) THEN
        RAISE EXCEPTION 'release % has gone out: its figures are frozen (table %)', NEW.release_id, TG_TABLE_NAME
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    *(
        f"CREATE TRIGGER {table}_frozen_insert BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION initiatives_refuse_figure_added()"
        for table in FIGURES
    ),
    *(
        f"CREATE TRIGGER {table}_frozen_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION initiatives_refuse_release_change()"
        for table in FIGURES
    ),
    f"""
    CREATE FUNCTION initiatives_refuse_confirmed_release_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (OLD.confirmed_at IS NOT NULL AND ({CHANGED})) OR {STATE_BENT} OR {WITHDRAWN_BENT} THEN
        RAISE EXCEPTION 'release % has been confirmed: it is withdrawn or followed by an erratum, never edited', OLD.id
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$
    """,
    f"CREATE TRIGGER {RELEASE}_confirmed_frozen BEFORE UPDATE ON {RELEASE} "
    "FOR EACH ROW EXECUTE FUNCTION initiatives_refuse_confirmed_release_change()",
    f"ALTER TABLE {RELEASE} ADD CONSTRAINT release_confirmed_by_another CHECK ({CONFIRMED_BY_ANOTHER}) NOT VALID",
]
POSTGRES_UNDO = [
    f"ALTER TABLE {RELEASE} DROP CONSTRAINT IF EXISTS release_confirmed_by_another",
    f"DROP TRIGGER IF EXISTS {RELEASE}_confirmed_frozen ON {RELEASE}",
    "DROP FUNCTION IF EXISTS initiatives_refuse_confirmed_release_change()",
    *(f"DROP TRIGGER IF EXISTS {table}_frozen_truncate ON {table}" for table in FIGURES),
    *(f"DROP TRIGGER IF EXISTS {table}_frozen_insert ON {table}" for table in FIGURES),
    "DROP FUNCTION IF EXISTS initiatives_refuse_figure_added()",
]

SQLITE_TRIGGERS = {
    **{
        f"{table}_frozen_insert": (
            f"BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {RELEASE} WHERE id = NEW.release_id "
            "AND (state <> 'pending' OR confirmed_at IS NOT NULL)) "
            "BEGIN SELECT RAISE(ABORT, 'this release has gone out: its figures are frozen'); END"
        )
        for table in FIGURES
    },
    f"{RELEASE}_confirmed_frozen": (
        f"BEFORE UPDATE ON {RELEASE} WHEN (OLD.confirmed_at IS NOT NULL AND ({SQLITE_CHANGED})) "
        f"OR {STATE_BENT} OR {WITHDRAWN_BENT} "
        "BEGIN SELECT RAISE(ABORT, 'this release has been confirmed: withdraw it or publish an erratum'); END"
    ),
    # Only a new confirmation: releases confirmed before keep what they have.
    f"{RELEASE}_confirmed_by_another_update": (
        f"BEFORE UPDATE ON {RELEASE} WHEN NEW.confirmed_by_id IS NOT NULL "
        "AND NEW.confirmed_by_id IS NOT OLD.confirmed_by_id "
        "AND (NEW.published_by_id IS NULL OR NEW.published_by_id = NEW.confirmed_by_id) "
        "BEGIN SELECT RAISE(ABORT, 'a release is confirmed by another member than its publisher'); END"
    ),
    f"{RELEASE}_confirmed_by_another_insert": (
        f"BEFORE INSERT ON {RELEASE} WHEN NEW.confirmed_by_id IS NOT NULL "
        "AND (NEW.published_by_id IS NULL OR NEW.published_by_id = NEW.confirmed_by_id) "
        "BEGIN SELECT RAISE(ABORT, 'a release is confirmed by another member than its publisher'); END"
    ),
}
SQLITE = [f"CREATE TRIGGER {name} {body}" for name, body in SQLITE_TRIGGERS.items()]
SQLITE_UNDO = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in POSTGRES if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in POSTGRES_UNDO if vendor == "postgresql" else SQLITE_UNDO if vendor == "sqlite" else []:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0032_release_one_title_removed")]

    operations = [migrations.RunPython(forwards, backwards)]
