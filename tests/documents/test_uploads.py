"""Uploads are judged by their content; refused files leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Attachment, Document
from documents.pdfgen import make_text_pdf
from documents.uploads import check_upload
from tests import builders
from tests.builders import doc_type

PDF = make_text_pdf(["Công văn"])

ACCEPTED = [
    ("cong-van.pdf", PDF, "application/pdf"),
    ("to-trinh.doc", builders.ole_bytes(), "application/msword"),
    ("bang-tinh.xls", builders.ole_bytes(), "application/vnd.ms-excel"),
    (
        "bao-cao.docx",
        builders.ooxml_bytes("word/document.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "so-lieu.xlsx",
        builders.ooxml_bytes("xl/workbook.xml"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "van-ban.odt",
        builders.odf_bytes("application/vnd.oasis.opendocument.text"),
        "application/vnd.oasis.opendocument.text",
    ),
    (
        "bang.ods",
        builders.odf_bytes("application/vnd.oasis.opendocument.spreadsheet"),
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
    ("anh-scan.jpg", builders.jpeg_bytes(), "image/jpeg"),
    ("anh-scan.png", builders.png_bytes(), "image/png"),
    ("ban-scan.tif", builders.tiff_bytes(), "image/tiff"),
]

REFUSED = [
    ("empty", "rong.pdf", b"", "empty"),
    ("exe as pdf", "cong-van.pdf", b"MZ\x90\x00" + b"\x00" * 300, "mismatch"),
    (
        "html as pdf",
        "cong-van.pdf",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "mismatch",
    ),
    (
        "svg",
        "logo.svg",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "extension",
    ),
    (
        "svg as png",
        "anh.png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "mismatch",
    ),
    ("html", "trang.html", b"<html><body>x</body></html>", "extension"),
    ("script as doc", "to-trinh.doc", b"#!/bin/sh\nrm -rf /\n", "mismatch"),
    (
        "pdf with javascript",
        "cong-van.pdf",
        PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (x) >>"),
        "active_content",
    ),
    (
        "pdf polyglot",
        "cong-van.pdf",
        PDF + b"\n<html><script>alert(1)</script></html>",
        "active_content",
    ),
    ("pdf with trailing data", "cong-van.pdf", PDF + b"MZ trailing junk", "polyglot"),
    ("plain zip as docx", "bao-cao.docx", builders.ooxml_bytes("other.xml"), "damaged"),
    (
        "docx with macros",
        "bao-cao.docx",
        builders.ooxml_bytes("word/document.xml", macros=True),
        "macros",
    ),
    (
        "odt claiming to be ods",
        "bang.ods",
        builders.odf_bytes("application/vnd.oasis.opendocument.text"),
        "mismatch",
    ),
    ("pdf header only", "cong-van.pdf", b"%PDF-1.4\n", "damaged"),
]


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED)
def test_accepted_kinds(name, content, content_type, settings):
    # The browser's claim is deliberately wrong: it must not matter.
    checked = check_upload(SimpleUploadedFile(name, content, content_type="text/html"))
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(("label", "name", "content", "code"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_kinds(label, name, content, code):
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert error.value.code == code
    assert name in error.value.messages[0] or code == "extension"


def test_size_limit_is_configurable(settings):
    settings.EOFFICE_MAX_UPLOAD_BYTES = len(PDF) - 1
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("cong-van.pdf", PDF))
    assert error.value.code == "too_large"


def test_zip_bomb_is_refused():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<d/>" + " " * 20_000_000)
    with pytest.raises(ValidationError) as error:
        check_upload(SimpleUploadedFile("bao-cao.docx", buffer.getvalue()))
    assert error.value.code == "zip_bomb"


def _form_data(**overrides):
    data = {
        "received_at": "2026-01-05T09:30",
        "receipt_method": "paper",
        "sender_name": "Sở Tài chính",
        "number_symbol": "5052/STC-QLNS",
        "issued_on": "2026-01-02",
        "doc_type": doc_type().pk,
        "summary": "V/v báo cáo ngân sách",
        "urgency": "0",
        "secrecy": "0",
    }
    data.update(overrides)
    return data


def test_refused_file_in_the_form_stores_nothing(people, client_for, settings):
    client = client_for(people.clerk)
    bad = SimpleUploadedFile("cong-van.pdf", b"<html><script>x</script></html>")
    response = client.post(reverse("incoming-register"), {**_form_data(), "files": [bad]})
    assert response.status_code == 400
    assert "cong-van.pdf" in response.text
    assert Document.objects.count() == 0
    assert Attachment.objects.count() == 0
    location = Path(settings.STORAGES["default"]["OPTIONS"]["location"])
    assert not location.exists() or not any(p.is_file() for p in location.rglob("*"))
    # What the clerk typed is still there.
    assert "5052/STC-QLNS" in response.text


def test_registration_with_files_of_several_kinds(people, client_for):
    client = client_for(people.clerk)
    files = [SimpleUploadedFile(name, content) for name, content, _ in ACCEPTED[:4]]
    response = client.post(reverse("incoming-register"), {**_form_data(), "files": files})
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.attachments.count() == 4
    for attachment in document.attachments.all():
        assert "/" in attachment.file.name and attachment.original_name not in attachment.file.name
        assert attachment.file.size == attachment.size
