"""CSV answers for the API: `?format=csv` or `Accept: text/csv`.

Lists stream every row that the filters select (no pagination), written as the JSON
serializer writes them, so a CSV pull and a JSON pull carry the same rows and columns.
A list whose rows are written elsewhere (a database's COPY) hands its chunks to
`csv_attachment`. What a column holding several values looks like in one cell is the
caller's to say (`cells`); this module knows no domain. Every cell goes through `safe_cell`: no text
cell is read as a formula by the spreadsheet that opens the file.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from .api_errors import APIError
from .cell_safety import safe_cell

STREAM_CHUNK = 2000


Cells = Mapping[str, Callable[[Any], Any]]


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("code") or value.get("kato") or ""
    if isinstance(value, list):
        return " ".join(str(_cell(v)) for v in value)
    return "" if value is None else value


def csv_lines(header: list[str], rows: Iterable[dict[str, Any]], *, cells: Cells | None = None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    special = cells or {}
    for row in rows:
        writer.writerow([safe_cell(special.get(column, _cell)(row.get(column))) for column in header])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class CSVRenderer(BaseRenderer):
    """Renders a list of flat dicts, or a single object as one row."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if isinstance(data, dict) and isinstance(data.get("error"), dict):  # the API's error shape
            data = [data["error"]]
        rows = data if isinstance(data, list) else [data]
        header = list(rows[0].keys()) if rows else []
        return "".join(csv_lines(header, rows)).encode("utf-8")


def wants_csv(request: Request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == "csv"


def _nested_keys(serializer: Any, name: str, field: Any) -> list[str] | None:
    """The keys of a field that holds one object (a nested serializer, or a method field
    the schema documents as one), in their schema order; None for any other field."""
    from drf_spectacular.drainage import get_override
    from rest_framework import serializers

    shape = field
    if isinstance(field, serializers.SerializerMethodField):
        shape = get_override(getattr(serializer, field.method_name or f"get_{name}", None), "field")
    if isinstance(shape, type) and issubclass(shape, serializers.Serializer):
        shape = shape()
    if isinstance(shape, serializers.Serializer) and not isinstance(shape, serializers.ListSerializer):
        return list(shape.fields)
    return None


def csv_columns(serializer: Any) -> tuple[list[str], dict[str, list[str]]]:
    """The CSV columns of a serializer's records: its fields in order, a field holding one
    object as a column per key (`progress_stage`, `progress_done`); and those objects' keys."""
    columns: list[str] = []
    nested: dict[str, list[str]] = {}
    for name, field in serializer.fields.items():
        keys = _nested_keys(serializer, name, field)
        if keys is None:
            columns.append(name)
        else:
            nested[name] = keys
            columns += [f"{name}_{key}" for key in keys]
    return columns, nested


def _flat(row: Mapping[str, Any], nested: Mapping[str, list[str]]) -> dict[str, Any]:
    out = dict(row)
    for name, keys in nested.items():
        inner = out.pop(name, None) or {}
        out.update({f"{name}_{key}": inner.get(key) for key in keys})
    return out


def stream_csv(
    queryset: QuerySet[Any],
    serializer_class: Any,
    context: dict[str, Any],
    filename: str,
    *,
    cells: Cells | None = None,
) -> StreamingHttpResponse:
    """Every record of `queryset` as a CSV row, its columns those of the JSON record in
    the same order (`csv_columns`), the header written even when there is no row."""
    columns, nested = csv_columns(serializer_class(context=context))
    rows = (
        _flat(serializer_class(obj, context=context).data, nested) for obj in queryset.iterator(chunk_size=STREAM_CHUNK)
    )
    return csv_attachment(csv_lines(columns, rows, cells=cells), filename)


class CSVList:
    """A list view mixin: `?format=csv` or `Accept: text/csv` streams every filtered
    record as a CSV row (not a JSON page squeezed into one row)."""

    csv_name = "rows"
    # How a column that holds more than one value is written in a cell, by column name.
    csv_cells: dict[str, Any] = {}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if wants_csv(request):
            queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
            return stream_csv(
                queryset,
                self.get_serializer_class(),  # type: ignore[attr-defined]
                self.get_serializer_context(),  # type: ignore[attr-defined]
                self.csv_name,
                cells=self.csv_cells,
            )
        return super().list(request, *args, **kwargs)  # type: ignore[misc]


def csv_attachment(chunks: Iterable[str | bytes], filename: str) -> StreamingHttpResponse:
    """A streamed CSV download of `chunks` (UTF-8), header included."""
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


class FormatNotOffered(APIError):
    status_code = status.HTTP_406_NOT_ACCEPTABLE
    default_code = "not_acceptable"


class FormatFirstNegotiation(DefaultContentNegotiation):
    """`?format=csv` wins over the Accept header: a script that always sends
    `Accept: application/json` still gets CSV when it asks for it in the URL."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE or "format")
        if wanted:
            renderers = list(renderers)
            for renderer in renderers:
                if renderer.format == wanted:
                    return renderer, renderer.media_type
            # Not DRF's 404, which reads as "no such record": the format is what is missing.
            offered = ", ".join(r.format for r in renderers if r.format != "api")
            raise FormatNotOffered(
                _("this endpoint answers in %(formats)s, not %(format)r") % {"formats": offered, "format": wanted[:20]},
                format=wanted[:20],
                formats=offered,
            )
        return super().select_renderer(request, renderers, format_suffix)
