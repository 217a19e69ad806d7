"""Bodies too big are refused from their Content-Length, before a byte of them is read.

Django caps the form fields it keeps in memory (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams
file uploads to disk whatever their size, and only then does a form or serializer say
"too large". The two places people upload (the portal's report page with its evidence
file, the API's statistics import) are refused here from the length they declare, with
the message each audience reads: a message on the page, or the API's error shape.

The report page is the exception for a body a little too large: refused unread, it would
lose every value and the narrative typed with the file. Up to the evidence limit plus
REPORT_BODY_MARGIN it is read, through `EvidenceSizeHandler`, which stops storing a file
once it passes the limit and says so (`uploads_refused`), so the page shows the refusal
with all else that was typed. Only a larger body is refused unread.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
REPORT_PAGE = re.compile(r"^/reports/\d+/$")
IMPORT_UPLOAD = re.compile(r"^/api/v1/imports/$")


# How far over the evidence limit a report page's body may be and still be read (its file
# refused, the rest kept): a photo a little too large, not a video.
REPORT_BODY_MARGIN = 30 * 10**6


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


class RequestSizeMiddleware:
    """After MessageMiddleware (the portal's refusal is a message); before any view or
    CSRF check reads the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _declared_length(request)
        path = request.path_info
        if REPORT_PAGE.match(path):
            limit = settings.MAX_EVIDENCE_FILE_BYTES + REPORT_BODY_MARGIN
            # Before anything reads the body (the CSRF check does, in process_view).
            request.upload_handlers.insert(0, EvidenceSizeHandler(request))
            if length > limit:
                messages.error(
                    request,
                    _(
                        "What you sent is %(size)s MB; an evidence file may be at most %(file)s MB. "
                        "Nothing was saved: enter the values again and attach a smaller file."
                    )
                    % {"size": _megabytes(length), "file": _megabytes(settings.MAX_EVIDENCE_FILE_BYTES)},
                )
                return HttpResponseRedirect(path, status=303)
        elif IMPORT_UPLOAD.match(path):
            limit = settings.MAX_IMPORT_FILE_BYTES + _fields_limit()
            if length > limit:
                return api_error(
                    413,
                    "too_large",
                    _("The request is %(size)s MB; a statistics file may be at most %(limit)s MB.")
                    % {"size": _megabytes(length), "limit": _megabytes(settings.MAX_IMPORT_FILE_BYTES)},
                )
        elif path.startswith(API_PREFIX) and length > _fields_limit():
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
