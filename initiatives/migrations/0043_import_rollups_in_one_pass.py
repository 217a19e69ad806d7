"""The statistics import at database speed (issue 27).

- PostgreSQL: the rollup trigger on INSERT into the values skips a statement when the
  transaction has said it will add the rows' contributions itself
  (`projectoffice.rollups_deferred` = 'on', a transaction-local setting that only the
  import sets, around its own INSERTs, and that dies with its transaction). The import
  then adds all its new values to the rollups in one set-based statement at the end of its
  write (statistics/services.py, `_rollups_for_new_values`) instead of one per 5,000 rows.
  Every other write, and the import's UPDATE of changed values, keeps the trigger as it was.
  SQLite keeps its row triggers.
- An import remembers its file by a hash (`ImportBatch.file_hash`), so the same file sent
  again when no value changed since is recognised without checking it row by row.
"""

import importlib

from django.db import migrations, models

rollups = importlib.import_module("initiatives.migrations.0014_rollups")

SETTING = "projectoffice.rollups_deferred"
_BEGIN = "        BEGIN\n"


def _insert_function(*, deferrable: bool) -> str:
    """0014's insert trigger function, with JIT off as 0020 set it, and (deferrable) the skip."""
    create: str = rollups._pg_value_trigger("insert")[0]
    assert _BEGIN in create
    create = create.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    create = create.replace("LANGUAGE plpgsql AS $$", "LANGUAGE plpgsql SET jit = off AS $$", 1)
    if deferrable:
        skip = (
            f"          IF current_setting('{SETTING}', true) = 'on' THEN\n"
            "            RETURN NULL;  -- the import adds these rows itself, in one pass at its end\n"
            "          END IF;\n"
        )
        create = create.replace(_BEGIN, _BEGIN + skip, 1)
    return create


def _run(*, deferrable: bool):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(_insert_function(deferrable=deferrable), params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0042_rollup_checkpoints")]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="file_hash",
            field=models.CharField(blank=True, db_index=True, default="", max_length=64, verbose_name="file hash"),
        ),
        migrations.RunPython(_run(deferrable=True), _run(deferrable=False)),
    ]
