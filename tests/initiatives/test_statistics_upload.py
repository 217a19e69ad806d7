"""The admin's upload page: the project office sends a statistics file, sees its check (a
dry run: what it would change, its errors and warnings) and confirms it, which imports the
same kept file; values changed meanwhile are counted and said. Tasks run in the process
(no REDIS_URL) once the request's transaction commits, which
`django_capture_on_commit_callbacks(execute=True)` stands for: `post` sends a form so."""

import datetime
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from initiatives.models import ImportBatch, Indicator, Value
from initiatives.statistics.jobs import (
    ImportNotConfirmable,
    import_job_confirm,
    import_job_run,
    import_job_submit,
    import_uploads_delete_old,
)
from regions.models import Region
from tests.factories import UserFactory

# The checks and imports run in the test's process, whether or not REDIS_URL names a broker.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_process_tasks")]

UPLOAD = "/admin/initiatives/importbatch/upload/"
HEADER = "region,period,indicator,value\n"
GOOD = HEADER + "710000000,2025-09,crime.registered,1300\n710000000,2025-09,crime.theft,210\n"
BAD = HEADER + "710000000,2025-09,crime.registered,1300\n710000001,2025-13,crime.theft,-1\n"


@pytest.fixture
def post(client: Client, django_capture_on_commit_callbacks):
    """POST as a browser does, then run the jobs the request queued."""

    def send(url: str, data: dict[str, object] | None = None, **extra: object):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data or {}, **extra)
        return response

    return send


def check_url(batch: ImportBatch | int) -> str:
    return f"/admin/initiatives/importbatch/{getattr(batch, 'pk', batch)}/check/"


def upload(post, content: str, *, name: str = "stats.csv", strict: bool = False):
    data: dict[str, object] = {"file": SimpleUploadedFile(name, content.encode())}
    if strict:
        data["strict"] = "on"
    return post(UPLOAD, data)


def stored(code: str) -> Value:
    return Value.objects.get(indicator__code=code, region__kato="710000000", period_start=datetime.date(2025, 9, 1))


def existing(code: str, value: int) -> Value:
    """A value already stored for September 2025 in Astana, as an earlier import left it."""
    found = Value(
        indicator=Indicator.objects.get(code=code),
        region=Region.objects.get(kato="710000000"),
        value=Decimal(value),
        source="import",
    )
    found.period_start = found.period_end = datetime.date(2025, 9, 1)
    found.approval_state = "approved"
    found.approved_at = timezone.now()
    found.save()
    return found


def kept_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def test_the_office_uploads_a_file_and_sees_its_check_with_nothing_written(client, post, office, media) -> None:
    client.force_login(office)
    listing = client.get("/admin/initiatives/importbatch/").content.decode()
    assert UPLOAD in listing and "Upload a statistics file" in listing
    form = client.get(UPLOAD)
    assert form.status_code == 200 and 'name="strict"' in form.content.decode()

    response = upload(post, GOOD, strict=True)

    check = ImportBatch.objects.get()
    assert response.status_code == 303 and response["Location"] == check_url(check)
    assert (check.dry_run, check.strict, check.uploaded_by, check.status) == (True, True, office, "succeeded")
    assert (check.rows, check.created, check.updated, check.unchanged) == (2, 2, 0, 0)
    assert not Value.objects.exists()
    page = client.get(check_url(check)).content.decode()
    assert 'data-count="created"><th scope="row">New values</th><td>2</td>' in page
    assert "Confirm and import" in page and 'id="confirm-form"' in page
    assert "http-equiv" not in page  # finished: no longer refreshing itself


def test_confirming_imports_the_kept_file_without_a_second_upload(client, post, office, media) -> None:
    client.force_login(office)
    existing("crime.theft", 200)
    upload(post, GOOD, strict=True)
    check = ImportBatch.objects.get()
    files_after_the_check = kept_files(media)
    assert len(files_after_the_check) == 1

    response = post(check_url(check))

    done = ImportBatch.objects.get(confirms=check)
    assert response.status_code == 303 and response["Location"] == check_url(done)
    assert done.upload.name == check.upload.name and done.file_name == check.file_name
    assert kept_files(media) == files_after_the_check  # the same file: not copied, not sent again
    assert (done.dry_run, done.strict, done.uploaded_by, done.status) == (False, True, office, "succeeded")
    assert (done.rows, done.created, done.updated, done.unchanged, done.changed_since_check) == (2, 1, 1, 0, 0)
    assert (stored("crime.registered").value, stored("crime.theft").value) == (1300, 210)
    page = client.get(check_url(done)).content.decode()
    assert "What the import changed" in page
    assert f'href="{check_url(check)}">the check #{check.pk}</a>' in page
    assert "None of the file's values was changed by someone else since the check." in page
    assert 'id="confirm-form"' not in page
    check_page = client.get(check_url(check)).content.decode()
    assert f'This check was confirmed: <a href="{check_url(done)}">the import #{done.pk}</a> (imported)' in check_page


def test_values_changed_between_the_check_and_the_confirmation_are_counted_and_said(
    client, post, office, media
) -> None:
    client.force_login(office)
    theft = existing("crime.theft", 200)
    upload(post, HEADER + "710000000,2025-09,crime.theft,210\n710000000,2025-09,crime.registered,1300\n")
    check = ImportBatch.objects.get()
    # After the check: a person corrects the theft figure, and another import brings the
    # registered one the file would have created.
    theft.value = Decimal(205)
    theft.save()
    existing("crime.registered", 1250)
    untouched = existing("crime.fraud", 40)  # not in the file: not counted
    assert untouched.updated_at > check.started_at

    post(check_url(check))

    done = ImportBatch.objects.get(confirms=check)
    assert (done.status, done.changed_since_check, done.updated) == ("succeeded", 2, 2)
    assert (stored("crime.registered").value, stored("crime.theft").value) == (1300, 210)
    page = client.get(check_url(done)).content.decode()
    assert (
        "2 of the file's values were changed by someone else since the check; "
        "the import replaced them with the file's." in page
    )


def test_a_check_with_errors_lists_them_and_cannot_be_confirmed(client, post, office, media) -> None:
    client.force_login(office)
    upload(post, BAD)
    check = ImportBatch.objects.get()
    assert (check.status, check.error_count) == ("failed", 3)
    page = client.get(check_url(check)).content.decode()
    assert "3 errors" in page and 'id="confirm-form"' not in page
    assert '<tr data-code="unknown_region">\n      <td>3</td>\n      <td>region</td>' in page
    assert "unknown region &#x27;710000001&#x27;" in page

    response = post(check_url(check), follow=True)

    assert ImportBatch.objects.count() == 1 and not Value.objects.exists()
    assert "The check found problems: correct the file and upload it again." in response.content.decode()
    with pytest.raises(ImportNotConfirmable):
        import_job_confirm(check=check, user=office)


def test_the_problems_are_read_in_the_readers_language(client, post, office, media) -> None:
    client.force_login(office)
    upload(post, BAD)
    check = ImportBatch.objects.get()
    page = client.get(check_url(check), HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "белгісіз өңір &#x27;710000001&#x27;" in page and "3 қате" in page and "Файлдағы жол" in page
    upload(post, GOOD)
    good = ImportBatch.objects.latest("pk")
    page = client.get(check_url(good), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Проверка файла stats.csv" in page and "Подтвердить и импортировать" in page


def test_a_second_confirmation_lands_on_the_same_import_and_imports_once(client, post, office, media) -> None:
    client.force_login(office)
    upload(post, GOOD)
    check = ImportBatch.objects.get()

    first = post(check_url(check))
    second = post(check_url(check))  # the button clicked twice, or a second tab

    done = ImportBatch.objects.get(confirms=check)
    assert first["Location"] == second["Location"] == check_url(done)
    assert import_job_confirm(check=check, user=office) == done
    assert ImportBatch.objects.count() == 2
    # Each value written once, by the one import (whose batch is its first version: no history row).
    assert Value.objects.filter(import_batch=done).count() == 2 and not Value.history.exists()


def test_a_confirmation_is_as_strict_as_its_check_and_its_user_is_the_confirmer(office, media) -> None:
    colleague = UserFactory(username="office.two", is_staff=True, is_superuser=True)
    check = import_job_submit(
        upload=SimpleUploadedFile("stats.csv", GOOD.encode()), user=office, agency=None, dry_run=True, strict=True
    )
    import_job_run(batch_id=check.pk)
    done = import_job_confirm(check=check, user=colleague)
    import_job_run(batch_id=done.pk)
    done.refresh_from_db()
    assert (done.strict, done.uploaded_by, done.confirms, done.status) == (True, colleague, check, "succeeded")


def test_a_check_still_waiting_shows_its_progress_and_refreshes_itself(client, post, office, media) -> None:
    client.force_login(office)
    check = ImportBatch.objects.create(
        file_name="big.csv", dry_run=True, status="running", stage="writing", progress_done=400, progress_total=1000
    )
    page = client.get(check_url(check)).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "writing the values: 400 of 1000 rows" in page and '<progress max="1000" value="400">' in page
    assert "<script>" not in page and 'id="confirm-form"' not in page
    ImportBatch.objects.filter(pk=check.pk).update(status="pending", stage="", progress_done=0, progress_total=0)
    assert "Waiting for a worker to take the file." in client.get(check_url(check)).content.decode()
    assert post(check_url(check)).status_code == 303
    assert not ImportBatch.objects.filter(confirms=check).exists()  # not finished: not confirmed


def test_the_page_shows_the_first_hundred_warnings_with_their_count(client, post, office, media) -> None:
    client.force_login(office)
    upload(post, GOOD)
    check = ImportBatch.objects.get()
    warning = {"line": 2, "column": "value", "code": "unclassified", "params": {"message": "an unusual value"}}
    ImportBatch.objects.filter(pk=check.pk).update(
        warnings=[{**warning, "line": n} for n in range(2, 152)], warnings_count=150
    )
    page = client.get(check_url(check)).content.decode()
    assert "150 warnings" in page and "The first 100 of 150." in page
    assert page.count("an unusual value") == 100
    assert 'id="confirm-form"' in page  # warnings alone do not refuse a file unless asked to


def test_the_file_is_checked_as_the_api_checks_it(client, post, office, media, settings) -> None:
    client.force_login(office)
    response = upload(post, GOOD, name="stats.txt")
    assert response.status_code == 200 and "Send a CSV (.csv) or Excel (.xlsx) file." in response.content.decode()
    settings.MAX_IMPORT_FILE_BYTES = 10
    response = upload(post, GOOD)
    assert "The file is 0 MB; the limit is 0 MB." in response.content.decode()
    assert not ImportBatch.objects.exists() and not kept_files(media)


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(client, post, office, media, settings) -> None:
    client.force_login(office)
    settings.MAX_IMPORT_FILE_BYTES = 1000
    response = upload(post, GOOD + "710000000,2025-10,crime.theft,1\n" * 120_000)  # 4 MB
    assert response.status_code == 303 and response["Location"] == UPLOAD
    assert "a statistics file may be at most 0.1 MB" in client.get(UPLOAD).content.decode()
    assert not ImportBatch.objects.exists() and not kept_files(media)


def test_no_one_but_the_office_uploads_checks_or_confirms(client, post, coordinator_astana, office, media) -> None:
    check = import_job_submit(
        upload=SimpleUploadedFile("stats.csv", GOOD.encode()), user=office, agency=None, dry_run=True
    )
    import_job_run(batch_id=check.pk)
    data = {"file": SimpleUploadedFile("stats.csv", GOOD.encode())}
    for url in (UPLOAD, check_url(check)):  # anonymous: to the admin's log-in
        assert client.get(url).status_code == 302
        assert client.post(url, data).status_code == 302
    client.force_login(coordinator_astana)  # not staff: to the admin's log-in
    for url in (UPLOAD, check_url(check)):
        assert client.get(url).status_code == 302
        assert client.post(url, data).status_code == 302
    helpdesk = UserFactory(username="helpdesk", is_staff=True)  # staff of an agency, not the office
    client.force_login(helpdesk)
    for url in (UPLOAD, check_url(check)):
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
    assert list(ImportBatch.objects.all()) == [check] and not Value.objects.exists()


def test_the_record_and_the_list_link_a_check_and_its_import(client, post, office, media) -> None:
    client.force_login(office)
    upload(post, GOOD)
    check = ImportBatch.objects.get()
    post(check_url(check))
    done = ImportBatch.objects.get(confirms=check)
    record = client.get(f"/admin/initiatives/importbatch/{done.pk}/change/").content.decode()
    assert f'href="{check_url(done)}">The import&#x27;s page</a>' in record
    record = client.get(f"/admin/initiatives/importbatch/{check.pk}/change/").content.decode()
    assert f'href="{check_url(check)}">The check&#x27;s page' in record
    listing = client.get("/admin/initiatives/importbatch/").content.decode()
    assert f'href="{check_url(check)}">confirms the check #{check.pk}</a>' in listing
    assert f'href="{check_url(done)}">confirmed by the import #{done.pk}</a>' in listing


def test_a_kept_file_an_unfinished_confirmation_still_needs_is_not_deleted(office, media) -> None:
    check = import_job_submit(
        upload=SimpleUploadedFile("stats.csv", GOOD.encode()), user=office, agency=None, dry_run=True
    )
    import_job_run(batch_id=check.pk)
    waiting = ImportBatch.objects.create(
        file_name=check.file_name, upload=check.upload.name, dry_run=False, confirms=check
    )  # as import_job_confirm leaves it, its worker not yet come
    later = timezone.now() + datetime.timedelta(days=31)
    assert import_uploads_delete_old(now=later) == 0
    assert (media / check.upload.name).exists()
    ImportBatch.objects.filter(pk=waiting.pk).update(status="succeeded", finished_at=timezone.now())
    assert import_uploads_delete_old(now=later) == 2  # both records let the file go
    assert not (media / check.upload.name).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_make_one_import(reference_data: None, office, media) -> None:
    check = import_job_submit(
        upload=SimpleUploadedFile("stats.csv", GOOD.encode()), user=office, agency=None, dry_run=True
    )  # transactional: the check ran as its job was committed
    imports: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def confirm() -> None:
        try:
            start.wait()
            imports.append(import_job_confirm(check=check, user=office).pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == [] and len(imports) == 2 and imports[0] == imports[1]
    assert ImportBatch.objects.filter(confirms=check).count() == 1
    # Each value written once, by the one import (whose batch is its first version: no history row).
    assert Value.objects.filter(import_batch_id=imports[0]).count() == 2 and not Value.history.exists()
