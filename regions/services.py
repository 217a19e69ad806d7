"""Writes to the region tree."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from projectoffice.tabular import RowError, TableError, read_table

from .kato import KATO_FILE_COLUMNS, KATO_FILE_OPTIONAL, KatoEntry, guess_kind, kato_ancestors, parse_kato_rows
from .models import Region

BATCH_SIZE = 2000


class KatoImportError(Exception):
    """The file was refused; nothing was written. `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(_("%(count)s problem(s) in the KATO file") % {"count": len(errors)})
        self.errors = errors


@dataclass
class KatoImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    created_by_level: dict[int, int] = field(default_factory=dict)


class _DryRunRollback(Exception):
    pass


def regions_import_kato(
    *,
    source: Path | IO[bytes],
    filename: str = "",
    dry_run: bool = False,
    user: User | None = None,
) -> KatoImportResult:
    """Load the official KATO classifier: every row is valid, or nothing is written.

    New units are created, existing ones keep their English name and kind and get the
    classifier's Kazakh and Russian names and parent. History records each change.
    """
    try:
        entries, errors = parse_kato_rows(
            read_table(source, required=KATO_FILE_COLUMNS, optional=KATO_FILE_OPTIONAL, filename=filename)
        )
    except TableError as exc:
        raise KatoImportError(exc.errors) from exc
    if not entries and not errors:
        raise KatoImportError([RowError(0, "", _("the file has a header but no rows"))])

    try:
        with transaction.atomic():
            result = _write_entries(entries, errors, user)
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        result.dry_run = True
    return result


def _write_entries(entries: list[KatoEntry], errors: list[RowError], user: User | None) -> KatoImportResult:
    # Lock the table's rows we may touch, so two imports cannot interleave.
    existing = {r.kato: r for r in Region.objects.select_for_update().order_by("pk")}
    in_file = {e.code for e in entries}

    parent_code_of: dict[str, str | None] = {}
    for entry in entries:
        ancestors = kato_ancestors(entry.code)
        nearest = next((c for c in ancestors if c in in_file or c in existing), None)
        if ancestors and nearest is None:
            errors.append(
                RowError(
                    entry.line,
                    "TE",
                    _("no parent unit for %(code)s: none of %(candidates)s is in the file or the database")
                    % {"code": entry.code, "candidates": ", ".join(ancestors)},
                )
            )
        parent_code_of[entry.code] = nearest
    if errors:
        raise KatoImportError(sorted(errors, key=lambda e: (e.line, e.column)))

    result = KatoImportResult()
    by_code = dict(existing)
    for level in sorted({e.level for e in entries}):
        to_create: list[Region] = []
        to_update: list[Region] = []
        for entry in (e for e in entries if e.level == level):
            parent_code = parent_code_of[entry.code]
            parent = by_code[parent_code] if parent_code else None
            region = by_code.get(entry.code)
            if region is None:
                region = Region(
                    kato=entry.code,
                    level=level,
                    parent=parent,
                    kind=guess_kind(entry.code, level, entry.name_ru, parent.kind if parent else None),
                    name_kk=entry.name_kk,
                    name_ru=entry.name_ru,
                )
                to_create.append(region)
                by_code[entry.code] = region
            elif (region.name_kk, region.name_ru, region.parent_id) != (
                entry.name_kk,
                entry.name_ru,
                parent.pk if parent else None,
            ):
                region.name_kk, region.name_ru, region.parent = entry.name_kk, entry.name_ru, parent
                region.updated_at = timezone.now()  # bulk_update does not apply auto_now
                to_update.append(region)
            else:
                result.unchanged += 1
        if to_create:
            created = bulk_create_with_history(to_create, Region, batch_size=BATCH_SIZE, default_user=user)
            for region in created:
                by_code[region.kato] = region
            result.created += len(created)
            result.created_by_level[level] = len(created)
        if to_update:
            bulk_update_with_history(
                to_update,
                Region,
                ["name_kk", "name_ru", "parent", "updated_at"],
                batch_size=BATCH_SIZE,
                default_user=user,
            )
            result.updated += len(to_update)
    return result
