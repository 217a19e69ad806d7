"""Bodies too big are refused from their Content-Length, before a byte of them is read.

Django caps the form fields it keeps in memory (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams
file uploads to disk whatever their size, and only then does a form or serializer say
"too large". A view that takes a file says how large with `@body_limit` (on a DRF
viewset, on its action): the setting that caps its file and the message of a refusal.
The middleware finds the view from the path and refuses from the length declared, with
the message each audience reads: a message on the page, or the API's error shape. Any
other body on the API is capped at the form fields' limit.

A page that takes evidence (`evidence=True`, the report page) is the exception for a body
a little too large: refused unread, it would lose every value and the narrative typed with
the file. Up to the file limit plus REPORT_BODY_MARGIN it is read, through
`EvidenceSizeHandler`, which stops storing a file once it passes the limit and says so
(`uploads_refused`), so the page shows the refusal with all else that was typed. Only a
larger body is refused unread.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils.functional import Promise
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


# How far over the evidence limit a report page's body may be and still be read (its file
# refused, the rest kept): a photo a little too large, not a video.
REPORT_BODY_MARGIN = 30 * 10**6


V = TypeVar("V", bound=Callable[..., Any])


@dataclass(frozen=True)
class BodyLimit:
    """The largest body a view takes: its file, capped by the setting `file_setting`, and
    the fields beside it (or, with `evidence`, REPORT_BODY_MARGIN). `refused` is said on a
    refusal, with `%(size)s` the body's size and `%(file)s` or `%(limit)s` the file's
    limit, in MB."""

    file_setting: str
    refused: str | Promise
    evidence: bool = False

    def file_bytes(self) -> int:
        return int(getattr(settings, self.file_setting))

    def body_bytes(self) -> int:
        return self.file_bytes() + (REPORT_BODY_MARGIN if self.evidence else _fields_limit())


def body_limit(file_setting: str, *, refused: str | Promise, evidence: bool = False) -> Callable[[V], V]:
    """Mark a view (or a DRF viewset's action) that takes a file: see BodyLimit."""
    limit = BodyLimit(file_setting=file_setting, refused=refused, evidence=evidence)

    def mark(view: V) -> V:
        view.body_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def view_body_limit(request: HttpRequest) -> BodyLimit | None:
    """The limit the view at this request's path declares, if any. A DRF route serves
    several actions (the list's GET and POST): the limit is any of them declares, as the
    body is refused before the method is dispatched."""
    try:
        view = resolve(request.path_info, getattr(request, "urlconf", None)).func
    except Resolver404:
        return None
    viewset, actions = getattr(view, "cls", None), getattr(view, "actions", None) or {}
    for marked in (view, *(getattr(viewset, action, None) for action in actions.values())):
        limit = getattr(marked, "body_limit", None)
        if isinstance(limit, BodyLimit):
            return limit
    return None


@dataclass(frozen=True)
class RefusedUpload:
    field: str
    name: str


class EvidenceSizeHandler(FileUploadHandler):
    """First of the report page's upload handlers: passes each file's bytes on to Django's
    own handlers until the file passes MAX_EVIDENCE_FILE_BYTES, then skips the rest of it
    (Django closes what was stored) and records it, for the page to say so."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.refused: list[RefusedUpload] = []

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.MAX_EVIDENCE_FILE_BYTES:
            self.refused.append(RefusedUpload(field=self.field_name, name=self.file_name or ""))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file


def uploads_refused(request: HttpRequest) -> list[RefusedUpload]:
    """The files of this request left out for being over the evidence limit."""
    return [r for h in request.upload_handlers if isinstance(h, EvidenceSizeHandler) for r in h.refused]


def _megabytes(size: int) -> str:
    return f"{math.ceil(size / 10**5) / 10:g}"


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # as Django reads it: an unreadable length is no body


def _fields_limit() -> int:
    # The form fields beside a file: Django's own cap on them, or 2.5 MB if it is off.
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


def api_error(status: int, code: str, message: str) -> JsonResponse:
    """The API's error shape (projectoffice/api_errors.py), for answers given before DRF runs."""
    return JsonResponse({"error": {"status": status, "code": code, "message": message}}, status=status)


class BodySizeMiddleware:
    """After MessageMiddleware (the portal's refusal is a message); before any view or
    CSRF check reads the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _declared_length(request)
        path = request.path_info
        # Only a body can be too big: a request without one need not find its view.
        limit = view_body_limit(request) if length else None
        if limit is not None and limit.evidence:
            # Before anything reads the body (the CSRF check does, in process_view).
            request.upload_handlers.insert(0, EvidenceSizeHandler(request))
        if limit is not None and length > limit.body_bytes():
            words = str(limit.refused) % {
                "size": _megabytes(length),
                "file": _megabytes(limit.file_bytes()),
                "limit": _megabytes(limit.file_bytes()),
            }
            if path.startswith(API_PREFIX):
                return api_error(413, "too_large", words)
            messages.error(request, words)
            return HttpResponseRedirect(path, status=303)
        if limit is None and path.startswith(API_PREFIX) and length > _fields_limit():
            return self._too_big()
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """What Django refuses while a view reads the body (too many fields, a field too
        big) is an HTML 400; on the API it is the API's JSON error."""
        if not request.path_info.startswith(API_PREFIX):
            return None
        if isinstance(exception, RequestDataTooBig):
            return self._too_big()
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            return api_error(400, "too_many_fields", _("The request has too many fields or files."))
        return None

    def _too_big(self) -> JsonResponse:
        return api_error(
            413,
            "too_large",
            _("The request body is larger than %(limit)s.") % {"limit": filesizeformat(_fields_limit())},
        )
