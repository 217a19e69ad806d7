"""What a coordinator types into the report page reaches the server as typed, in a real
browser: a number the browser could not read is an error beside it, not a silent blank."""

import pytest

from .conftest import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("early_november")]


def test_a_value_the_browser_cannot_read_is_an_error_and_keeps_the_saved_one(page, screenshot, report) -> None:
    log_in(page, f"/login/?next=/reports/{report.pk}/", "coordinator.astana")
    events = page.get_by_label("Legal literacy events held", exact=True)
    events.fill("12")
    page.click("button[value=save]")
    assert "The draft was saved." in page.content()

    events.fill("5e")
    page.fill("#id_narrative", "Typed before the slip.")
    page.click("button[value=save]")
    assert "5e is not a number" in page.locator("#error-summary").inner_text()
    assert events.input_value() == "5e"
    assert page.locator("#id_narrative").input_value() == "Typed before the slip."
    assert list(report.lines.values_list("value", flat=True)) == [12]
    screenshot("portal-value-not-a-number")

    events.fill("")
    page.click("button[value=save]")
    assert "The draft was saved." in page.content()
    assert events.input_value() == ""
    assert not report.lines.exists()


def test_an_evidence_file_over_the_limit_is_refused_before_it_is_sent(
    page, screenshot, report, tmp_path, settings
) -> None:
    too_big = tmp_path / "scan.pdf"
    too_big.write_bytes(b"%PDF" + b"0" * settings.MAX_EVIDENCE_FILE_BYTES)  # one file of limit + 4 bytes
    sent: list[str] = []
    log_in(page, f"/login/?next=/reports/{report.pk}/", "coordinator.astana")
    page.on("request", lambda request: sent.append(request.method) if request.method == "POST" else None)
    events = page.get_by_label("Legal literacy events held", exact=True)
    events.fill("12")
    page.fill("#id_narrative", "Typed with a large scan.")

    page.set_input_files("#id_evidence", str(too_big))

    note = page.locator(".file-too-large")
    assert note.inner_text() == "scan.pdf is larger than 10 MB and was not attached: choose a smaller file."
    assert page.locator("#id_evidence").evaluate("input => input.files.length") == 0
    assert sent == []
    screenshot("portal-evidence-too-large")

    # The rest is saved without the file
    page.click("button[value=save]")
    assert "The draft was saved." in page.content()
    assert list(report.lines.values_list("value", flat=True)) == [12]
    assert not report.evidence.exists()
