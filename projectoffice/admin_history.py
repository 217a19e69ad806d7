"""History pages that read as people speak: who (a name, or "the system"), when (local
time), and what changed in words (field names, the values as the forms show them, no
version counters or bookkeeping times). Every admin with a history uses `HistoryAdmin`.

A model admin may add entries of records that belong to the object (a report's values)
through `extra_history_entries`; they appear in the same timeline."""

import datetime
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject

from .numbers import exact_text

# Bookkeeping that changes with every save and tells a reader nothing.
HIDDEN_FIELDS = frozenset({"version", "created_at", "updated_at"})


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    action: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field, before, after)
    subject: str = ""  # what the entry is about when not the object itself, e.g. one of its values
    reason: str = ""
    url: str | None = None  # the version's page, for the object's own records
    kind: str = "~"  # simple-history's: + created, ~ changed, - deleted

    @property
    def tells_something(self) -> bool:
        """A save that changed only bookkeeping (a version counter, a time) is left out."""
        return bool(self.changes or self.reason or self.kind != "~")


def person(user: Any) -> str:
    if user is None:
        return _("the system (an import or a scheduled job)")
    return str(user.get_full_name() or user.get_username())


def action_words(history_type: str) -> str:
    return {"+": _("created"), "~": _("changed"), "-": _("deleted")}.get(history_type, history_type)


def value_words(model_field: models.Field[Any, Any] | None, value: Any, instance: Any = None) -> str:
    """A field's value as its form shows it: the choice's label, the local time, the number
    in the KPI's places (where the record belongs to a KPI), the related record's name."""
    if isinstance(value, DeletedObject):
        return "—" if value.pk is None else _("a deleted record (no. %(pk)s)") % {"pk": value.pk}
    if value is None or value == "":
        return "—"
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, Decimal):
        shown = getattr(getattr(instance, "indicator", None), "shown", None)
        if shown is not None:
            return str(shown(value))
        return str(number_format(Decimal(exact_text(value, 0)), use_l10n=True, force_grouping=True))
    return str(value)


def record_changes(newer: Any, older: Any, model: type[models.Model]) -> list[tuple[str, str, str]]:
    """What changed from `older` to `newer` (two historical records of one object), in words."""
    delta = newer.diff_against(older, foreign_keys_are_objs=True)
    changes = []
    for change in delta.changes:
        if change.field in HIDDEN_FIELDS:
            continue
        model_field = model._meta.get_field(change.field)
        assert isinstance(model_field, models.Field)  # a diff is of concrete fields
        label = str(model_field.verbose_name)
        if isinstance(model_field, models.ManyToManyField):  # history's m2m_fields: rows of the link table
            target = model_field.m2m_reverse_field_name()
            before, after = (", ".join(str(row[target]) for row in rows) or "—" for rows in (change.old, change.new))
        else:
            before, after = value_words(model_field, change.old, older), value_words(model_field, change.new, newer)
        changes.append((label[:1].upper() + label[1:], before, after))
    return changes


def first_values(record: Any, model: type[models.Model], names: Sequence[str]) -> list[tuple[str, str, str]]:
    """What a record was created with, as changes from nothing."""
    out = []
    for name in names:
        model_field = model._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        value = getattr(record, model_field.attname)
        if value not in (None, ""):
            label = str(model_field.verbose_name)
            out.append((label[:1].upper() + label[1:], "—", value_words(model_field, value, record)))
    return out


def timeline(
    records: Sequence[Any], model: type[models.Model], subject: str = "", created_with: Sequence[str] = ()
) -> list[HistoryEntry]:
    """Entries for the historical records of one object, newest first; a creation lists
    the fields `created_with` as it set them."""
    ordered = sorted(records, key=lambda r: (r.history_date, r.history_id))
    entries = []
    for older, newer in zip([None, *ordered[:-1]], ordered, strict=True):
        entries.append(
            HistoryEntry(
                when=newer.history_date,
                who=person(newer.history_user),
                action=action_words(newer.history_type),
                changes=(
                    record_changes(newer, older, model)
                    if older is not None
                    else first_values(newer, model, created_with)
                ),
                subject=subject,
                reason=newer.history_change_reason or "",
                kind=newer.history_type,
            )
        )
    entries.reverse()
    return [e for e in entries if e.tells_something]


class NeverReverted:
    """For a history admin whose old versions are read, never saved back: simple-history's
    "Revert" writes an old version straight through the admin form, past the services
    that govern the record. A revert POST changes nothing and answers 303 to the history
    list with `revert_refused()`, in the reader's language."""

    model: type[models.Model]
    admin_site: Any

    def revert_refused(self) -> str:
        raise NotImplementedError

    def revert_disabled(self, request: HttpRequest, obj: object = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            messages.error(request, self.revert_refused())
            opts = self.model._meta
            url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_history", args=[object_id])
            refused = HttpResponseRedirect(url)
            refused.status_code = 303
            return refused
        page: HttpResponse = super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]
        return page


class HistoryAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    # As ModelAdmin types it (a template name here), so admins that mix both agree.
    object_history_template: Any = "admin/history/object_history.html"
    object_history_list_template = "admin/history/object_history_list.html"

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self._known_id_or_404(object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[no-any-return]

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._known_id_or_404(object_id)
        if not str(version_id).isdigit():
            raise Http404
        if request.method == "POST" and not self.has_change_permission(request, self.get_object(request, object_id)):
            # django-simple-history saves a revert POST for anyone who may read the history,
            # whether or not they may change the record (it only hides the button).
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[no-any-return]

    def _known_id_or_404(self, object_id: str) -> None:
        """A mistyped address (`/2/change/history/`) is not found, never a server error."""
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except (ValidationError, ValueError, TypeError):
            raise Http404 from None

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records: Any, foreign_keys_are_objs: bool = True
    ) -> None:
        records = list(historical_records)
        for newer, older in itertools.pairwise(records):
            newer.readable_changes = record_changes(newer, older, self.model)

    def extra_history_entries(self, request: HttpRequest, obj: Any) -> Iterable[HistoryEntry]:
        """Entries of records that belong to `obj`, shown in its timeline (or of versions
        it has no historical record of, such as a value's import)."""
        return []

    def history_entry(self, record: Any, entry: HistoryEntry) -> HistoryEntry:
        """The entry of one of the object's own historical records, as the page shows it;
        a model admin may say more of some (the import a value was created by)."""
        return entry

    def render_history_view(self, request: HttpRequest, template: str, context: dict[str, Any], **kwargs: Any) -> Any:
        if "page_obj" not in context:  # an old version's page (history_form_view): no timeline to build
            return super().render_history_view(request, template, context, **kwargs)
        obj = context["object"]
        entries = []
        for record in context["page_obj"]:
            try:
                url = reverse(
                    f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_simple_history",
                    args=[obj.pk, record.pk],
                )
            except NoReverseMatch:
                url = None
            entry = HistoryEntry(
                when=record.history_date,
                who=person(record.history_user),
                action=action_words(record.history_type),
                changes=getattr(record, "readable_changes", []),
                reason=record.history_change_reason or "",
                url=url,
                kind=record.history_type,
            )
            entries.append(self.history_entry(record, entry))
        entries = [e for e in entries if e.tells_something]
        entries.extend(self.extra_history_entries(request, obj))
        entries.sort(key=lambda e: e.when, reverse=True)
        context["entries"] = entries
        return super().render_history_view(request, template, context, **kwargs)
