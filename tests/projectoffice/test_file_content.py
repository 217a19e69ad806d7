"""Evidence is checked by its whole content, not by its first bytes."""

import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from PIL import Image
from pypdf import PdfWriter

from projectoffice.file_content import check_file_content


def a_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def an_image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "white").save(out, kind)
    return out.getvalue()


def a_workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["region", "period", "indicator", "value"])  # type: ignore[union-attr]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def a_zip_that_is_not_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(
    ("suffix", "content"),
    [
        (".pdf", a_pdf()),
        (".png", an_image("PNG")),
        (".jpg", an_image("JPEG")),
        (".jpeg", an_image("JPEG")),
        (".xlsx", a_workbook()),
    ],
)
def test_a_real_file_of_its_kind_is_accepted(suffix: str, content: bytes) -> None:
    stream = io.BytesIO(content)
    check_file_content(stream, suffix=suffix, name=f"evidence{suffix}")
    assert stream.tell() == 0  # left at its start, for storing


@pytest.mark.parametrize(
    ("suffix", "content"),
    [
        (".pdf", b"%PDF-1.7\n" + b"garbage " * 64),
        (".pdf", a_pdf()[: len(a_pdf()) // 2]),  # a truncated download
        (".pdf", an_image("PNG")),
        (".png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
        (".png", an_image("PNG")[:-30]),  # cut short: verify() alone would miss it
        (".png", an_image("JPEG")),  # a picture, but not the kind its name says
        (".jpg", b"\xff\xd8\xff" + b"\x00" * 64),
        (".xlsx", b"PK\x03\x04" + b"\x00" * 64),
        (".xlsx", a_zip_that_is_not_a_workbook()),
    ],
)
def test_a_file_that_only_starts_like_its_kind_is_refused(suffix: str, content: bytes) -> None:
    with pytest.raises(ValidationError, match=r"scan\S* is not the kind of file its name says, or it is damaged"):
        check_file_content(io.BytesIO(content), suffix=suffix, name=f"scan{suffix}")


def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded(monkeypatch) -> None:
    from projectoffice import file_content

    monkeypatch.setattr(file_content, "MAX_IMAGE_PIXELS", 10)
    with pytest.raises(ValidationError):
        check_file_content(io.BytesIO(an_image("PNG")), suffix=".png", name="bomb.png")
