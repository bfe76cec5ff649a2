"""Small builders for tests: an agency, people with roles, registered documents, files."""

from __future__ import annotations

import io
import itertools
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from documents.models import Document, DocumentType
from documents.pdfgen import make_text_pdf
from documents.reference import ensure_document_types
from documents.services import IncomingData, register_incoming
from documents.uploads import check_upload
from eoffice.models import Agency, Department, Position, Role, User

_counter = itertools.count(1)


def ensure_reference_data() -> None:
    """Transactional tests flush the tables, and with them what data migrations created."""
    if not DocumentType.objects.exists():
        ensure_document_types(DocumentType)
    for code in Role.Code.values:
        Role.objects.get_or_create(code=code)


def make_agency() -> Agency:
    ensure_reference_data()
    return Agency.objects.get_or_create(
        short_code="UBND",
        defaults={"name": "Ủy ban nhân dân huyện Thử Nghiệm", "identifier_code": "000.00.01.H99"},
    )[0]


def make_department(code: str, name: str | None = None) -> Department:
    department, _ = Department.objects.get_or_create(
        agency=make_agency(), short_code=code, defaults={"name": name or f"Phòng {code}"}
    )
    return department


def make_user(
    username: str,
    *roles: str,
    department: Department | None = None,
    position: str = "Chuyên viên",
    full_name: str | None = None,
) -> User:
    user = User.objects.create_user(
        username=username,
        password="pw",
        full_name=full_name or username.title(),
        department=department,
        position=Position.objects.get_or_create(name=position)[0],
    )
    user.roles.set(Role.objects.filter(code__in=roles))
    return user


@dataclass
class People:
    clerk: User
    leader: User
    head: User
    specialist: User
    colleague: User  # same department as the specialist, no grant of their own
    outsider: User  # another department
    outsider_head: User
    department: Department
    other_department: Department


def make_people() -> People:
    office = make_department("VP", "Văn phòng")
    finance = make_department("TCKH", "Phòng Tài chính - Kế hoạch")
    interior = make_department("NV", "Phòng Nội vụ")
    return People(
        clerk=make_user(
            "clerk", "clerk", department=office, position="Văn thư", full_name="Đỗ Thị Văn Thư"
        ),
        leader=make_user("leader", "leader", position="Chủ tịch", full_name="Nguyễn Văn Lãnh"),
        head=make_user(
            "head",
            "department_head",
            department=finance,
            position="Trưởng phòng",
            full_name="Trần Trưởng Phòng",
        ),
        specialist=make_user(
            "specialist", "specialist", department=finance, full_name="Lê Chuyên Viên"
        ),
        colleague=make_user(
            "colleague", "specialist", department=finance, full_name="Phạm Đồng Nghiệp"
        ),
        outsider=make_user(
            "outsider", "specialist", department=interior, full_name="Hoàng Người Ngoài"
        ),
        outsider_head=make_user(
            "outsider_head",
            "department_head",
            department=interior,
            position="Trưởng phòng",
            full_name="Vũ Trưởng Nội Vụ",
        ),
        department=finance,
        other_department=interior,
    )


def pdf_upload(name: str = "van-ban.pdf", text: str = "Nội dung") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_text_pdf([text]), content_type="application/pdf")


def doc_type(code: str = "CV") -> DocumentType:
    ensure_reference_data()
    return DocumentType.objects.get(code=code)


def incoming_data(**overrides: object) -> IncomingData:
    n = next(_counter)
    values: dict[str, object] = {
        "sender_name": "Sở Tài chính",
        "number_symbol": f"{n}/STC-QLNS",
        "issued_on": timezone.localdate() - timedelta(days=1),
        "doc_type": doc_type(),
        "summary": "V/v báo cáo tình hình thực hiện dự toán ngân sách",
        "received_at": timezone.now(),
    }
    values.update(overrides)
    return IncomingData(**values)  # type: ignore[arg-type]


def register(clerk: User, *, files: int = 1, **overrides: object) -> Document:
    uploads = [check_upload(pdf_upload(f"tep-{i}.pdf")) for i in range(files)]
    return register_incoming(clerk, incoming_data(**overrides), uploads)


def future(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


# --- sample files of every accepted kind, built in memory --------------------------------


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"\x00\xff\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\x00" * 64
        + b"\xff\xd9"
    )


def tiff_bytes() -> bytes:
    return b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64


def ole_bytes() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4088


def ooxml_bytes(main_part: str, *, macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00" * 10)
    return buffer.getvalue()


def odf_bytes(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def submitted(people: People, **overrides: object) -> Document:
    """A registered document presented to the leader."""
    from routing import services

    document = register(people.clerk, **overrides)
    services.submit_to_leader(people.clerk, document.pk, version=None, leader=people.leader)
    document.refresh_from_db()
    return document


def directed(
    people: People,
    *,
    lead=None,
    deadline: date | None = None,
    coordinators=(),
    informed=(),
    text: str = "Giao xử lý",
    **overrides: object,
) -> Document:
    """A document the leader has directed, by default to the people's department."""
    from routing import services
    from routing.services import Target

    document = submitted(people, **overrides)
    services.direct_document(
        people.leader,
        document.pk,
        version=None,
        text=text,
        lead=lead or Target(department=people.department),
        coordinators=list(coordinators),
        informed=list(informed),
        deadline=deadline,
    )
    document.refresh_from_db()
    return document
