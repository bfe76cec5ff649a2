"""Checks an uploaded file by its content before anything is stored.

The file name and the browser's content type are never trusted: libmagic names the content,
the content must agree with the extension, and then the structure is opened (a PDF's header,
trailer and active content; the parts inside a DOCX/XLSX/ODT/ODS; an image's header).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

import magic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_TOTAL = 500 * 1024 * 1024
ZIP_MAX_RATIO = 200
PDF_ACTIVE_CONTENT = re.compile(rb"/(JavaScript|JS|Launch|RichMedia|XFA)\b")
HTML_MARKERS = re.compile(rb"<\s*(html|script|body|iframe|svg)\b", re.IGNORECASE)
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    label: str
    content_type: str
    extensions: tuple[str, ...]
    magic_types: tuple[str, ...]


PDF = FileKind("PDF", "application/pdf", ("pdf",), ("application/pdf",))
DOC = FileKind(
    "DOC",
    "application/msword",
    ("doc",),
    ("application/msword", "application/x-ole-storage", "application/CDFV2"),
)
XLS = FileKind(
    "XLS",
    "application/vnd.ms-excel",
    ("xls",),
    ("application/vnd.ms-excel", "application/x-ole-storage", "application/CDFV2"),
)
DOCX = FileKind(
    "DOCX",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
        "application/octet-stream",
    ),
)
XLSX = FileKind(
    "XLSX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("xlsx",),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/zip",
        "application/octet-stream",
    ),
)
ODT = FileKind(
    "ODT",
    "application/vnd.oasis.opendocument.text",
    ("odt",),
    ("application/vnd.oasis.opendocument.text", "application/zip"),
)
ODS = FileKind(
    "ODS",
    "application/vnd.oasis.opendocument.spreadsheet",
    ("ods",),
    ("application/vnd.oasis.opendocument.spreadsheet", "application/zip"),
)
JPEG = FileKind("JPEG", "image/jpeg", ("jpg", "jpeg"), ("image/jpeg",))
PNG = FileKind("PNG", "image/png", ("png",), ("image/png",))
TIFF = FileKind("TIFF", "image/tiff", ("tif", "tiff"), ("image/tiff",))

ACCEPTED_KINDS = (PDF, DOC, DOCX, XLS, XLSX, ODT, ODS, JPEG, PNG, TIFF)
KIND_BY_EXTENSION = {ext: kind for kind in ACCEPTED_KINDS for ext in kind.extensions}
ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in KIND_BY_EXTENSION)

# Parts that make a ZIP the document its extension claims.
OOXML_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
ODF_MIMETYPE = {
    "odt": b"application/vnd.oasis.opendocument.text",
    "ods": b"application/vnd.oasis.opendocument.spreadsheet",
}
# Human names for what libmagic found, for the refusal message.
DANGEROUS_NAMES = {
    "text/html": "HTML",
    "image/svg+xml": "SVG",
    "application/x-executable": gettext_lazy("a program"),
    "application/x-dosexec": gettext_lazy("a Windows program"),
    "application/x-sharedlib": gettext_lazy("a program"),
    "application/x-pie-executable": gettext_lazy("a program"),
    "text/x-shellscript": gettext_lazy("a script"),
    "text/x-script.python": gettext_lazy("a script"),
    "text/javascript": gettext_lazy("a script"),
    "application/javascript": gettext_lazy("a script"),
}


@dataclass(frozen=True)
class CheckedFile:
    """What we learned about an accepted upload; stored with the attachment."""

    upload: UploadedFile
    original_name: str
    content_type: str
    size: int
    sha256: str


def accepted_kinds_text() -> str:
    return ", ".join(kind.label for kind in ACCEPTED_KINDS)


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Return what the file is, or raise ValidationError with a message for the user."""
    name = PurePath(upload.name or "").name or "tệp"
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file “%(name)s” is empty.") % {"name": name}, code="empty")
    limit = settings.EOFFICE_MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            _("The file “%(name)s” is %(size)s, above the limit of %(limit)s.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(8192)
    detected = magic.from_buffer(head, mime=True)
    extension = PurePath(name).suffix.lower().lstrip(".")
    kind = KIND_BY_EXTENSION.get(extension)
    if kind is None:
        raise ValidationError(
            _("Files of the kind “.%(ext)s” are not accepted. Accepted kinds: %(kinds)s.")
            % {"ext": extension or "?", "kinds": accepted_kinds_text()},
            code="extension",
        )
    if detected not in kind.magic_types:
        described = str(DANGEROUS_NAMES.get(detected, detected))
        raise ValidationError(
            _(
                "The file “%(name)s” is named .%(ext)s but its content is %(detected)s. "
                "Choose the real %(kind)s file."
            )
            % {"name": name, "ext": extension, "detected": described, "kind": kind.label},
            code="mismatch",
        )
    digest = _check_structure(upload, kind, extension, name, head)
    upload.seek(0)
    return CheckedFile(
        upload=upload, original_name=name, content_type=kind.content_type, size=size, sha256=digest
    )


def _damaged(name: str, kind: FileKind) -> ValidationError:
    return ValidationError(
        _("The file “%(name)s” is damaged or is not a real %(kind)s file.")
        % {"name": name, "kind": kind.label},
        code="damaged",
    )


def _check_structure(
    upload: UploadedFile, kind: FileKind, extension: str, name: str, head: bytes
) -> str:
    if kind is PDF:
        return _check_pdf(upload, name)
    if kind in (DOC, XLS):
        if not head.startswith(OLE_MAGIC):
            raise _damaged(name, kind)
    elif kind in (DOCX, XLSX, ODT, ODS):
        _check_zip_document(upload, kind, extension, name)
    elif kind is PNG:
        if not head.startswith(b"\x89PNG\r\n\x1a\n") or head[12:16] != b"IHDR":
            raise _damaged(name, kind)
    elif kind is JPEG:
        if not head.startswith(b"\xff\xd8\xff"):
            raise _damaged(name, kind)
    elif kind is TIFF and head[:4] not in (b"II*\x00", b"MM\x00*"):
        raise _damaged(name, kind)
    return _sha256(upload)


def _sha256(upload: IO[bytes]) -> str:
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _check_pdf(upload: UploadedFile, name: str) -> str:
    """Hash the PDF while looking for active content, and refuse anything after %%EOF."""
    upload.seek(0)
    digest = hashlib.sha256()
    tail = b""
    overlap = b""
    first = True
    while chunk := upload.read(CHUNK):
        digest.update(chunk)
        if first:
            if not chunk.lstrip()[:5] == b"%PDF-":
                raise _damaged(name, PDF)
            first = False
        window = overlap + chunk
        if PDF_ACTIVE_CONTENT.search(window) or HTML_MARKERS.search(window):
            raise ValidationError(
                _(
                    "The PDF “%(name)s” contains scripts or web content and is refused. "
                    "Print it to a new PDF and upload that."
                )
                % {"name": name},
                code="active_content",
            )
        overlap = chunk[-32:]
        tail = (tail + chunk)[-2048:]
    eof = tail.rfind(b"%%EOF")
    if eof < 0:
        raise _damaged(name, PDF)
    if tail[eof + 5 :].strip(b"\r\n\t \x00"):
        # Something rides after the end of the PDF: the shape of a polyglot file.
        raise ValidationError(
            _("The PDF “%(name)s” has extra content after its end and is refused.")
            % {"name": name},
            code="polyglot",
        )
    return digest.hexdigest()


def _check_zip_document(upload: UploadedFile, kind: FileKind, extension: str, name: str) -> None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                raise _damaged(name, kind)
            total = sum(entry.file_size for entry in entries)
            compressed = sum(entry.compress_size for entry in entries) or 1
            if total > ZIP_MAX_TOTAL or total / compressed > ZIP_MAX_RATIO:
                raise ValidationError(
                    _("The file “%(name)s” unpacks to an unreasonable size and is refused.")
                    % {"name": name},
                    code="zip_bomb",
                )
            names = {entry.filename for entry in entries}
            if extension in OOXML_MAIN_PART:
                if "[Content_Types].xml" not in names or OOXML_MAIN_PART[extension] not in names:
                    raise _damaged(name, kind)
                if any(n.lower().endswith("vbaproject.bin") for n in names):
                    raise ValidationError(
                        _("The file “%(name)s” contains macros and is refused.") % {"name": name},
                        code="macros",
                    )
            else:
                if "mimetype" not in names:
                    raise _damaged(name, kind)
                if archive.read("mimetype").strip() != ODF_MIMETYPE[extension]:
                    raise _damaged(name, kind)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise _damaged(name, kind) from exc
