"""The first version of a value the statistics import created.

A value created by the statistics import gets no history row when it lands: its first
version is its import (`import_batch`: the batch's `uploaded_by` wrote it, at the batch's
`committed_at`), so a million new values cost a million rows, not two million. The row
that says so is written when it is first needed: just before the value is first replaced
or deleted, by whatever path, a '+' row copies the value as it is stored (as it was
created: nothing has changed it yet), dated the batch's `committed_at`, by the batch's
`uploaded_by`, with the reason "import N" that imports write; then the change writes its
own row. So the history as a whole still holds every version of every value.

Every path that replaces or deletes a value passes here first:

- the statistics import's own UPDATE writes both rows in the same statement
  (`first_versions_select`, `initiatives/statistics/services.py`);
- every ORM save of an existing value and every ORM delete (a service, the admin, a
  register's sync, a queryset's `delete()`, which sends `pre_delete` for each row) runs the
  `pre_save` / `pre_delete` receivers connected in `InitiativesConfig.ready()`: a signal
  of the model itself, not a call each service must remember, so no ORM path of today or
  tomorrow goes round it; they run in the save's or delete's transaction, before the
  statement, so the '+' row copies the stored row and comes just before simple-history's
  own row (written on `post_save` / `post_delete`);
- bulk updates, which send no signals, go through `values_bulk_update_with_history`;
  a test (tests/initiatives/test_value_history.py) fails if any other module calls
  simple-history's `bulk_update_with_history` for values.

A value that has any history row is left alone: values written any other way (a report,
by hand, a register, the demo's data, imports before this rule) got their row when they
were created. A value whose import is gone (a deleted batch sets `import_batch` to NULL)
has nothing to date its first version by and gets none.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from simple_history.utils import bulk_update_with_history

from ..models import ImportBatch, Value

_HISTORY_EXTRA = "history_date, history_change_reason, history_type, history_user_id"
# Ids per statement: well inside SQLite's limit of bound parameters.
_CHUNK = 500


def _names(using: str) -> dict[str, str]:
    quote = connections[using].ops.quote_name
    columns = [quote(str(f.column)) for f in Value._meta.concrete_fields]
    return {
        "columns": ", ".join(columns),
        "from_v": ", ".join(f"v.{c}" for c in columns),
        "table": quote(Value._meta.db_table),
        "history": quote(str(Value.history.model._meta.db_table)),
        "batches": quote(ImportBatch._meta.db_table),
    }


def history_columns(using: str = DEFAULT_DB_ALIAS) -> str:
    """The history table's columns a first version is written to, in `first_versions_select`'s order."""
    return f"{_names(using)['columns']}, {_HISTORY_EXTRA}"


def first_versions_select(values: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """SQL selecting the first-version history rows (`history_columns()`) of the values
    in `values` (a FROM item naming value rows `v`, e.g. "initiatives_value v JOIN ...")
    that an import created and that have no history row yet; read as the statement found
    them, so a statement that also changes them copies them as they were before."""
    n = _names(using)
    return (
        f"SELECT {n['from_v']}, b.committed_at AS history_date, "  # noqa: S608 - names from model metadata
        f"'import ' || b.id AS history_change_reason, '+' AS history_type, b.uploaded_by_id AS history_user_id "
        f"FROM {values} JOIN {n['batches']} b ON b.id = v.import_batch_id "
        f"WHERE b.committed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {n['history']} h WHERE h.id = v.id)"
    )


def write_first_versions(ids: Iterable[int], using: str = DEFAULT_DB_ALIAS) -> int:
    """Before the values `ids` are replaced or deleted: the first version of each that an
    import created and nothing has changed since (none for the others). Call it inside
    the transaction of the change, before the change. Returns the rows written."""
    wanted = sorted({int(pk) for pk in ids if pk is not None})
    if not wanted:
        return 0
    n = _names(using)
    written = 0
    # On PostgreSQL the values that may need one are locked first, so "no history row yet"
    # is read again after any other writer of them has committed (each statement reads
    # afresh): two writers at once write one first version, not two. Only those are
    # locked and only those written: a value with history (most) costs this one statement.
    # SQLite has one writer at a time: one statement.
    lock = connections[using].vendor == "postgresql"
    with connections[using].cursor() as cursor:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            if lock:
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT v.id FROM {n['table']} v WHERE v.id IN ({marks}) "  # noqa: S608
                    f"AND v.import_batch_id IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM {n['history']} h WHERE h.id = v.id) ORDER BY v.id FOR UPDATE",
                    chunk,
                )
                chunk = [pk for (pk,) in cursor.fetchall()]
                if not chunk:
                    continue
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {n['history']} ({history_columns(using)}) "
                + first_versions_select(f"{n['table']} v", using)
                + f" AND v.id IN ({marks}) ORDER BY v.id",
                chunk,
            )
            written += max(int(cursor.rowcount), 0)
    return written


def values_bulk_update_with_history(objs: Sequence[Value], fields: Sequence[str], **kwargs: Any) -> int:
    """simple-history's `bulk_update_with_history` for values, which sends no signals:
    the first versions of imported values among `objs` are written first."""
    manager = kwargs.get("manager")
    write_first_versions((o.pk for o in objs), using=manager.db if manager is not None else DEFAULT_DB_ALIAS)
    return int(bulk_update_with_history(objs, Value, list(fields), **kwargs) or 0)


def _before_save(
    sender: type[Value], instance: Value, raw: bool = False, using: str = DEFAULT_DB_ALIAS, **_: Any
) -> None:
    if raw or instance.pk is None:
        return  # a new value (or a fixture being loaded): nothing stored to keep
    write_first_versions([instance.pk], using=using)


# On a queryset being deleted: the values whose first versions were written for it.
_WRITTEN = "_value_first_versions_written"


def _before_delete(
    sender: type[Value], instance: Value, using: str = DEFAULT_DB_ALIAS, origin: Any = None, **_: Any
) -> None:
    """One value at a time, but for a queryset's `delete()` (Django sends `pre_delete` for
    each of its rows, `origin` the queryset): all of its values at the first, a statement
    per 500. (Values are PROTECTed from their KPI and region: no cascade deletes them.)"""
    if isinstance(origin, QuerySet) and origin.model is Value:
        done: set[int] = getattr(origin, _WRITTEN, set())
        if instance.pk not in done:
            ids = set(origin.values_list("pk", flat=True)) | {instance.pk}
            write_first_versions(ids, using=using)
            setattr(origin, _WRITTEN, done | ids)
        return
    write_first_versions([instance.pk], using=using)


def connect() -> None:
    """Called once, from `InitiativesConfig.ready()`."""
    from django.db.models.signals import pre_delete, pre_save

    pre_save.connect(_before_save, sender=Value, dispatch_uid="initiatives.value_first_version.save")
    pre_delete.connect(_before_delete, sender=Value, dispatch_uid="initiatives.value_first_version.delete")
