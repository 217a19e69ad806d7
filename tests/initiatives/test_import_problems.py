"""Every bad import row carries a stable code and its params beside the message, and an
import's problems are stored as code and params, so they read in the language of whoever
reads them later (issue 16)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from initiatives.models import ImportBatch
from initiatives.statistics.jobs import import_job_errors, import_job_run, import_job_submit
from initiatives.statistics.services import StatisticsImportError, statistics_import
from projectoffice.tabular import RowError

pytestmark = pytest.mark.django_db

BAD = (
    b"region,period,indicator,value\n"
    b"710000000,2025-09,crime.registered,1300\n"
    b"710000001,2025-13,crime.nosuch,abc\n"
    b"710000000,2025-09,crime.registered,1,5\n"
    b"710000000,2025-09,crime.registered,1300\n"
    b"710000000,2025-08,crime.registered,-4\n"
)


def refused(content: bytes) -> list[RowError]:
    with pytest.raises(StatisticsImportError) as info:
        statistics_import(source=io.BytesIO(content), filename="bad.csv")
    return info.value.errors


def test_every_bad_row_carries_a_stable_code_and_its_params() -> None:
    got = [(e.line, e.column, e.code, dict(e.params)) for e in refused(BAD)]
    assert got == [
        (3, "region", "unknown_region", {"code": "710000001"}),
        (3, "indicator", "unknown_indicator", {"code": "crime.nosuch"}),
        (3, "period", "bad_period", {"period": "2025-13"}),
        (3, "value", "not_a_number", {"value": "abc"}),
        (4, "", "extra_cells", {}),
        (5, "", "duplicate_row", {"line": 2}),
        (6, "value", "negative_value", {"value": "-4"}),
    ]


def test_file_level_problems_have_codes_too() -> None:
    [missing] = refused(b"region,period,value\n710000000,2025-09,1\n")
    assert (missing.line, missing.code, dict(missing.params)) == (1, "missing_columns", {"cols": "indicator"})
    [empty] = refused(b"region,period,indicator,value\n")
    assert empty.code == "no_rows"


def refused_job() -> ImportBatch:
    batch = import_job_submit(upload=SimpleUploadedFile("bad.csv", BAD), user=None, agency=None, dry_run=False)
    return import_job_run(batch_id=batch.pk)


def test_a_refused_jobs_problems_are_stored_as_codes_and_params_not_sentences() -> None:
    batch = refused_job()
    assert batch.errors[0] == {"line": 3, "column": "region", "code": "unknown_region", "params": {"code": "710000001"}}
    assert all(set(stored) == {"line", "column", "code", "params"} for stored in batch.errors)


def test_stored_problems_read_in_the_language_of_whoever_reads_them() -> None:
    from django.utils import translation

    batch = refused_job()
    with translation.override("kk"):
        kk = import_job_errors(batch)[0].message
    with translation.override("ru"):
        ru = import_job_errors(batch)[0].message
    assert kk == "белгісіз өңір '710000001' (9 таңбалы KATO коды)"
    assert ru == "неизвестный регион '710000001' (9-значный код KATO)"
    assert import_job_errors(batch)[0].message == "unknown region '710000001' (a 9-digit KATO code)"


def test_problems_stored_before_codes_still_read_as_they_were_written() -> None:
    batch = refused_job()
    ImportBatch.objects.filter(pk=batch.pk).update(
        errors=[{"line": 3, "column": "region", "message": "неизвестный регион '710000001'"}]
    )
    batch.refresh_from_db()
    [old] = import_job_errors(batch)
    assert (old.line, old.column, old.code, old.message) == (
        3,
        "region",
        "unclassified",
        "неизвестный регион '710000001'",
    )
    assert old.as_json()["params"] == {}


def test_the_api_gives_each_problem_its_code_params_and_a_message_in_the_callers_language(caller) -> None:
    batch = refused_job()
    client = caller("office")
    kk = client.get(f"/api/v1/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="kk").json()["errors"]
    en = client.get(f"/api/v1/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()["errors"]
    assert kk[0] == {
        "line": 3,
        "column": "region",
        "code": "unknown_region",
        "params": {"code": "710000001"},
        "message": "белгісіз өңір '710000001' (9 таңбалы KATO коды)",
    }
    assert en[0]["message"] == "unknown region '710000001' (a 9-digit KATO code)"
    assert [p["code"] for p in en] == [p["code"] for p in kk]
    assert en[5] == {
        "line": 5,
        "column": "",
        "code": "duplicate_row",
        "params": {"line": 2},
        "message": "the same region, period and indicator as line 2",
    }


def test_the_admin_shows_a_refused_imports_problems_in_the_readers_language(client, office) -> None:
    batch = refused_job()
    client.force_login(office)
    page = client.get(f"/admin/initiatives/importbatch/{batch.pk}/change/", HTTP_ACCEPT_LANGUAGE="kk")
    text = page.content.decode()
    assert page.status_code == 200
    assert "белгісіз өңір &#x27;710000001&#x27; (9 таңбалы KATO коды)" in text
    assert "unknown region" not in text
    english = client.get(f"/admin/initiatives/importbatch/{batch.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert "unknown region &#x27;710000001&#x27; (a 9-digit KATO code)" in english.content.decode()
