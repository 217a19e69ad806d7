"""Pages of the API's lists: `page_size` on every list, up to a documented maximum.

A `page_size` that is not a whole number from 1 to the maximum answers 400 naming it
(`not_a_whole_number` / `page_size_out_of_range`), rather than a page of another size.
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, CursorPagination, PageNumberPagination
from rest_framework.request import Request

from .api_errors import field_error

# Lists numbered by page (everything but values): rows per page by default, and at most.
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def _page_size(pagination: Any, request: Request) -> int:
    name = pagination.page_size_query_param
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return int(pagination.page_size)
    limit = int(pagination.max_page_size)
    if not raw.isdigit():
        raise field_error(
            name, "not_a_whole_number", _("%(value)r is not a whole number") % {"value": raw[:40]}, value=raw[:40]
        )
    size = int(raw)
    if not 1 <= size <= limit:
        raise field_error(
            name,
            "page_size_out_of_range",
            _("a page holds from 1 to %(max)s rows") % {"max": limit},
            value=size,
            min=1,
            max=limit,
        )
    return size


def _document_maximum(pagination: BasePagination, parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for parameter in parameters:
        if parameter.get("name") == getattr(pagination, "page_size_query_param", None):
            limit = pagination.max_page_size  # type: ignore[attr-defined]
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": limit}
            parameter["description"] = f"Rows per page: {pagination.page_size} unless given, at most {limit}."  # type: ignore[attr-defined]
    return parameters


class PagePagination(PageNumberPagination):
    """`?page=N&page_size=M` (M up to MAX_PAGE_SIZE)."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        return _page_size(self, request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return _document_maximum(self, super().get_schema_operation_parameters(view))


class KeysetPagination(CursorPagination):
    """Pages by cursor (`next`), for long lists that grow while they are read. A cursor
    that was not one of ours answers 400 (`invalid_cursor`)."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int:
        return _page_size(self, request)

    def decode_cursor(self, request: Request) -> Any:
        raw = request.query_params.get(self.cursor_query_param)
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
            bad = True
        else:
            bad = False
        # The position is compared with the ordering column: it must be of its type.
        if cursor is not None and cursor.position is not None and not str(cursor.position).lstrip("-").isdigit():
            bad = True
        if bad:
            raise field_error(
                self.cursor_query_param,
                "invalid_cursor",
                _("not a cursor this API gave; follow `next`"),
                value=(raw or "")[:40],
            )
        return cursor

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return _document_maximum(self, super().get_schema_operation_parameters(view))
