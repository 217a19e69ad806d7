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


def stream_csv(
    queryset: QuerySet[Any],
    serializer_class: Any,
    context: dict[str, Any],
    filename: str,
    *,
    cells: Cells | None = None,
) -> StreamingHttpResponse:
    fields = list(serializer_class(context=context).fields)
    rows = (serializer_class(obj, context=context).data for obj in queryset.iterator(chunk_size=STREAM_CHUNK))
    return csv_attachment(csv_lines(fields, rows, cells=cells), filename)


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
