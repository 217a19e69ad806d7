"""Oversized bodies are refused from their declared length, before the body is read, in
the words of the page or of the API."""

import datetime
from typing import ClassVar

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from initiatives.models import Indicator, Report
from projectoffice.body_size import REPORT_BODY_MARGIN, body_limit, uploads_refused
from tests.conftest import token_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("early_november")]


class UnreadableBody:
    """A request body that fails the test if anyone reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def too_long(size: int) -> dict[str, object]:
    return {
        "CONTENT_LENGTH": str(size),
        "CONTENT_TYPE": "multipart/form-data; boundary=BoUnDaRy",
        "wsgi.input": UnreadableBody(),
    }


def test_an_evidence_upload_over_the_limit_is_refused_with_a_message_on_the_page(
    client: Client, report: Report, coordinator_astana, settings
) -> None:
    client.force_login(coordinator_astana)

    response = client.generic("POST", f"/reports/{report.pk}/", **too_long(50 * 10**6))

    assert response.status_code == 303 and response["Location"] == f"/reports/{report.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "What you sent is 50 MB; an evidence file may be at most 10 MB. Nothing was saved" in page
    assert not report.evidence.exists()


def test_an_evidence_upload_within_the_limit_reaches_the_page(
    client: Client, report: Report, coordinator_astana
) -> None:
    client.force_login(coordinator_astana)

    response = client.post(f"/reports/{report.pk}/", {"version": "1", "narrative": "", "action": "save"})

    assert response.status_code in (200, 302)  # the form answered, not the size check


def test_an_import_upload_over_the_limit_is_refused_in_the_api_error_shape(api_client, settings) -> None:
    settings.MAX_IMPORT_FILE_BYTES = 10**6
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(['statistics:import'])}")

    response = api_client.generic("POST", "/api/v1/imports/", **too_long(5 * 10**6))

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "status": 413,
            "code": "too_large",
            "message": "The request is 5 MB; a statistics file may be at most 1 MB.",
        }
    }


def test_an_oversized_json_body_on_the_api_is_refused_in_the_api_error_shape(client: Client, office) -> None:
    client.force_login(office)

    response = client.generic("POST", "/api/v1/exports/", **{**too_long(3 * 2**20), "CONTENT_TYPE": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_a_field_over_djangos_cap_on_the_api_answers_in_the_api_error_shape(client: Client, office, settings) -> None:
    """The body is within the declared limit; one field of it is over DATA_UPLOAD_MAX_MEMORY_SIZE
    only once Django parses it."""
    client.force_login(office)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/api/v1/imports/", {"dry_run": "x" * 900, "other": "y" * 900})

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == {
        "status": 413,
        "code": "too_large",
        "message": "The request body is larger than 1000\xa0bytes.",
    }


class RecordingHandler(FileUploadHandler):
    """Stands for Django's own handlers, after ours: what reaches them is what is stored."""

    received: ClassVar[list[int]] = []

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        RecordingHandler.received.append(len(raw_data))
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def report_post(report: Report, file: SimpleUploadedFile) -> dict[str, object]:
    kpi = Indicator.objects.get(code="events.legal_literacy")
    return {
        "version": str(report.version),
        f"value_{kpi.pk}": "7",
        "narrative": "typed with the file",
        "evidence": file,
        "action": "save",
    }


@time_machine.travel(datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC))
def test_an_evidence_file_a_little_over_the_limit_is_refused_with_everything_else_typed_kept(
    client: Client, report: Report, coordinator_astana, settings
) -> None:
    """15 MB: over the file limit and over what the declared length let through before, so
    the page was refused unread and every value and the narrative were lost."""
    client.force_login(coordinator_astana)
    scan = SimpleUploadedFile("scan.pdf", b"%PDF" + b"0" * (15 * 10**6))

    response = client.post(f"/reports/{report.pk}/", report_post(report, scan))

    page = response.content.decode()
    assert response.status_code == 400
    assert "scan.pdf is larger than 10 MB and was not attached: choose a smaller file." in page
    assert "Nothing was saved" in page
    assert 'value="7"' in page and "typed with the file" in page
    assert not report.evidence.exists() and not report.lines.exists()


@time_machine.travel(datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC))
def test_a_file_over_the_limit_is_not_stored_past_it(
    client: Client, report: Report, coordinator_astana, settings
) -> None:
    settings.MAX_EVIDENCE_FILE_BYTES = 200_000
    settings.FILE_UPLOAD_HANDLERS = ["tests.projectoffice.test_body_size.RecordingHandler"]
    RecordingHandler.received.clear()
    client.force_login(coordinator_astana)
    scan = SimpleUploadedFile("scan.pdf", b"%PDF" + b"0" * 5_000_000)

    response = client.post(f"/reports/{report.pk}/", report_post(report, scan))

    assert response.status_code == 400
    assert 0 < sum(RecordingHandler.received) <= settings.MAX_EVIDENCE_FILE_BYTES
    assert not report.evidence.exists()


def test_a_body_past_the_margin_is_still_refused_unread(client: Client, report: Report, coordinator_astana) -> None:
    client.force_login(coordinator_astana)

    response = client.generic("POST", f"/reports/{report.pk}/", **too_long(10 * 10**6 + REPORT_BODY_MARGIN + 1))

    assert response.status_code == 303


# A URLconf of views the kernel has never heard of: their limits are theirs, not its.
@body_limit("MAX_IMPORT_FILE_BYTES", refused="Sent %(size)s MB, a file may be %(limit)s MB.")
def any_api_upload(request: HttpRequest) -> HttpResponse:
    return HttpResponse("read")


@body_limit("MAX_EVIDENCE_FILE_BYTES", refused="Sent %(size)s MB, a file may be %(file)s MB.", evidence=True)
def any_evidence_page(request: HttpRequest) -> HttpResponse:
    request.POST  # noqa: B018  (reads the body, through the upload handlers)
    return HttpResponse(f"refused {len(uploads_refused(request))}")


urlpatterns = [
    path("api/elsewhere/", any_api_upload),
    path("elsewhere/", any_evidence_page),
]


@pytest.mark.urls("tests.projectoffice.test_body_size")
def test_a_limit_is_declared_on_its_view_and_refused_wherever_that_view_is_served(client: Client, settings) -> None:
    settings.MAX_IMPORT_FILE_BYTES = 10**6

    refused = client.generic("POST", "/api/elsewhere/", **too_long(5 * 10**6))

    assert refused.status_code == 413
    assert refused.json()["error"]["message"] == "Sent 5 MB, a file may be 1 MB."
    # Its file's limit and the fields' beside it (2.5 MB): past the API's cap on other bodies.
    assert client.generic("POST", "/api/elsewhere/", **too_long(3 * 10**6)).content == b"read"
    assert client.post("/api/elsewhere/", {"file": SimpleUploadedFile("a.csv", b"x" * 3 * 2**20)}).content == b"read"


@pytest.mark.urls("tests.projectoffice.test_body_size")
def test_an_evidence_view_reads_a_body_a_little_over_and_leaves_its_file_out(client: Client, settings) -> None:
    settings.MAX_EVIDENCE_FILE_BYTES = 200_000
    big = SimpleUploadedFile("photo.jpg", b"x" * 300_000, content_type="image/jpeg")

    assert client.post("/elsewhere/", {"file": big}).content == b"refused 1"
    refused = client.generic("POST", "/elsewhere/", **too_long(REPORT_BODY_MARGIN + 300_000))
    assert refused.status_code == 303 and refused["Location"] == "/elsewhere/"
