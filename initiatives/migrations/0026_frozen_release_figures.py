"""Release figures and their public form are written once and never changed: the
database refuses UPDATE and DELETE of their rows, whoever asks (the admin, a script, raw
SQL). A wrong release is withdrawn or followed by an erratum instead
(initiatives/services/releases.py)."""

from django.db import migrations

TABLES = ("initiatives_releasefigure", "initiatives_publicfigure")

POSTGRES = [
    """
    CREATE FUNCTION initiatives_refuse_release_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'the figures of a release are frozen: withdraw it or publish an erratum (table %)', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
    END $$
    """,
    *(
        f"CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION initiatives_refuse_release_change()"
        for table in TABLES
    ),
]
POSTGRES_UNDO = [
    *(f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS initiatives_refuse_release_change()",
]
SQLITE = [
    f"CREATE TRIGGER {table}_frozen_{verb.lower()} BEFORE {verb} ON {table} "
    "BEGIN SELECT RAISE(ABORT, 'the figures of a release are frozen: withdraw it or publish an erratum'); END"
    for table in TABLES
    for verb in ("UPDATE", "DELETE")
]
SQLITE_UNDO = [f"DROP TRIGGER IF EXISTS {table}_frozen_{verb.lower()}" for table in TABLES for verb in ("UPDATE", "DELETE")]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in POSTGRES if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in POSTGRES_UNDO if vendor == "postgresql" else SQLITE_UNDO if vendor == "sqlite" else []:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0025_releases_and_import_commit_time")]

    operations = [migrations.RunPython(forwards, backwards)]
