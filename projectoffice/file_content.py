"""Is a file what its name says, by its whole content: a PDF that parses, an image that
decodes, a workbook whose every part unpacks. The first bytes prove nothing; a file with
a PDF header and anything after it is not a document anyone can open."""

import warnings
import zipfile
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

# What an image may decode to: more pixels than a 100-megapixel photo is a decompression bomb.
MAX_IMAGE_PIXELS = 100_000_000
# What an XLSX may unpack to (its parts are compressed XML; a zip bomb unpacks to gigabytes).
MAX_XLSX_UNPACKED_BYTES = 200 * 10**6

KINDS = {".pdf": "pdf", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".xlsx": "xlsx"}


class NotItsKind(Exception):
    """The content does not parse as the kind of file its name says."""


def _check_pdf(stream: IO[bytes]) -> None:
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted:
            raise NotItsKind("encrypted")
        if len(reader.pages) < 1:
            raise NotItsKind("no pages")
        for page in reader.pages:
            page.get_contents()  # every page's content stream is there and decodes
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise NotItsKind(str(exc)) from exc


def _check_image(stream: IO[bytes], expected: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                if image.format != expected or image.width * image.height > MAX_IMAGE_PIXELS:
                    raise NotItsKind(image.format or "")
                image.verify()  # the structure and checksums, without decoding
            stream.seek(0)
            with Image.open(stream) as image:
                image.load()  # every pixel decodes (verify() alone misses truncated data)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise NotItsKind(str(exc)) from exc
    except Image.DecompressionBombWarning as exc:
        raise NotItsKind(str(exc)) from exc


def _check_xlsx(stream: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise NotItsKind("not a workbook")
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED_BYTES:
                raise NotItsKind("unpacks too large")
            if archive.testzip() is not None:  # every part decompresses and matches its CRC
                raise NotItsKind("a damaged part")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise NotItsKind(str(exc)) from exc


def check_file_content(stream: IO[bytes], *, suffix: str, name: str) -> None:
    """Raise ValidationError unless `stream` (read from its start, left at its start) is a
    whole, readable file of the kind `suffix` (.pdf, .png, .jpg, .jpeg, .xlsx) says."""
    kind = KINDS[suffix]
    stream.seek(0)
    try:
        if kind == "pdf":
            _check_pdf(stream)
        elif kind == "xlsx":
            _check_xlsx(stream)
        else:
            _check_image(stream, kind)
    except NotItsKind as exc:
        raise ValidationError(
            _("%(name)s is not the kind of file its name says, or it is damaged.") % {"name": name}
        ) from exc
    finally:
        stream.seek(0)
