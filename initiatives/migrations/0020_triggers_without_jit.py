"""The statement triggers on the values run without PostgreSQL's JIT compiler.

An import writes in statements of some thousands of rows; each fires these triggers,
whose plans the planner over-estimates (a transition table has no statistics), so JIT
compiled them every time: about 40 ms a statement, more than the work itself
(docs/performance.md). Set on the functions, so it holds however they are called."""

from django.db import migrations

FUNCTIONS = (
    "initiatives_rollup_after_insert()",
    "initiatives_rollup_after_update()",
    "initiatives_rollup_after_delete()",
    "initiatives_rollup_after_region_move()",
    "value_region_exists_in_period()",
    "value_references_kept()",
)


def _alter(setting: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for function in FUNCTIONS:
            schema_editor.execute(f"ALTER FUNCTION {function} {setting}")

    return run


class Migration(migrations.Migration):
    dependencies = [("initiatives", "0019_restore_sqlite_figure_triggers")]

    operations = [migrations.RunPython(_alter("SET jit = off"), _alter("RESET jit"))]
