"""Register exports: contents cell by cell, period boundaries, permissions, query counts."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from documents.exports import (
    INCOMING_COLUMNS,
    OUTGOING_COLUMNS,
    XLSX_HEADER_ROWS,
    RegisterExport,
    list_export_registers,
    register_documents,
)
from documents.models import Secrecy, Urgency
from routing import services
from routing.issuing import issue_outgoing
from routing.services import Target
from tests.builders import directed, doc_type, future, make_user, register
from tests.outgoing_builders import make_chain, signed_draft

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
APRIL = {"date_from": "2026-04-01", "date_to": "2026-04-30"}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=HCM)


def url(register: str = "incoming", fmt: str = "xlsx", **period: str) -> str:
    params = {**APRIL, **period, "register": register, "format": fmt, "download": "1"}
    return reverse("register-export") + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def body(response) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)
    return b"".join(response)


def xlsx_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(body(response))).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def april(people):
    """Two documents of April (one on each boundary day), one just before, one just after."""
    return {
        "before": register(people.clerk, files=0, received_at=at(2026, 3, 31, 23, 59)),
        "first": register(
            people.clerk,
            files=0,
            received_at=at(2026, 4, 1, 0, 0),
            sender_name="Ủy ban nhân dân tỉnh Điện Biên",
            number_symbol="15/QĐ-UBND",
            issued_on=date(2026, 3, 30),
            doc_type=doc_type("QD"),
            summary="Về việc phê duyệt kế hoạch cải cách hành chính năm 2026",
            urgency=Urgency.URGENT,
            notes="Bản chính kèm phụ lục",
        ),
        "last": register(
            people.clerk,
            files=0,
            received_at=at(2026, 4, 30, 23, 59),
            summary='=HYPERLINK("http://evil")',
        ),
        "after": register(people.clerk, files=0, received_at=at(2026, 5, 1, 0, 0)),
    }


def test_incoming_xlsx_cell_by_cell(people, client_for, april):
    first, last = april["first"], april["last"]
    services.submit_to_leader(people.clerk, first.pk, version=None, leader=people.leader)
    services.direct_document(
        people.leader,
        first.pk,
        version=None,
        text="Giao Phòng Tài chính - Kế hoạch chủ trì",
        lead=Target(department=people.department),
        deadline=future(5),
    )
    response = client_for(people.clerk).get(url())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "so-van-ban-den_2026-04-01_2026-04-30.xlsx" in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert rows[0][0] == "ỦY BAN NHÂN DÂN HUYỆN THỬ NGHIỆM"
    assert (
        rows[1][0]
        == RegisterExport("incoming", False, date(2026, 4, 1), date(2026, 4, 30)).title.upper()
    )
    assert rows[2][0] == "Từ 01/04/2026 đến 30/04/2026" or "01/04/2026" in rows[2][0]
    assert rows[XLSX_HEADER_ROWS - 1] == tuple(str(c.label) for c in INCOMING_COLUMNS)
    data = rows[XLSX_HEADER_ROWS:]
    assert len(data) == 2  # the documents of 31/03 23:59 and 01/05 00:00 are outside
    today = timezone.localdate()
    assert data[0] == (
        datetime(2026, 4, 1),
        first.register_number,
        "Ủy ban nhân dân tỉnh Điện Biên",
        "15/QĐ-UBND",
        datetime(2026, 3, 30),
        f"{first.doc_type.name} — Về việc phê duyệt kế hoạch cải cách hành chính năm 2026",
        "Phòng Tài chính - Kế hoạch",
        datetime(today.year, today.month, today.day),
        None,
        f"{Urgency.URGENT.label}; Bản chính kèm phụ lục",
    )
    # Text from users is never a formula, whatever it starts with.
    assert data[1][5].endswith('=HYPERLINK("http://evil")')
    assert data[1][6] is None and data[1][7] is None
    sheet = load_workbook(io.BytesIO(body(client_for(people.clerk).get(url())))).active
    assert sheet.cell(XLSX_HEADER_ROWS + 2, 6).data_type == "s"
    assert sheet.cell(XLSX_HEADER_ROWS + 1, 2).number_format == "00"
    assert last.pk  # used


def test_incoming_csv_has_bom_and_neutralised_formulas(people, client_for, april):
    response = client_for(people.clerk).get(url(fmt="csv"))
    assert isinstance(response, StreamingHttpResponse)
    rows = csv_rows(response)
    assert rows[0] == [str(c.label) for c in INCOMING_COLUMNS]
    first = april["first"]
    assert rows[1] == [
        "01/04/2026",
        f"{first.register_number:02d}",
        "Ủy ban nhân dân tỉnh Điện Biên",
        "15/QĐ-UBND",
        "30/03/2026",
        f"{first.doc_type.name} — Về việc phê duyệt kế hoạch cải cách hành chính năm 2026",
        "",
        "",
        "",
        f"{Urgency.URGENT.label}; Bản chính kèm phụ lục",
    ]
    assert rows[2][0] == "30/04/2026"
    assert rows[2][5] == f'{april["last"].doc_type.name} — =HYPERLINK("http://evil")'
    assert len(rows) == 3


def test_csv_neutralises_a_leading_formula_character(people, client_for):
    register(
        people.clerk,
        files=0,
        received_at=at(2026, 4, 10, 9, 0),
        sender_name="=cmd|' /C calc'!A0",
    )
    rows = csv_rows(client_for(people.clerk).get(url(fmt="csv")))
    assert rows[1][2] == "'=cmd|' /C calc'!A0"


def test_incoming_pdf_prints_vietnamese(people, client_for, april):
    response = client_for(people.clerk).get(url(fmt="pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert isinstance(response, StreamingHttpResponse)
    reader = PdfReader(io.BytesIO(body(response)))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    assert round(float(page.mediabox.width)) == 842 and round(float(page.mediabox.height)) == 595
    text = " ".join(page.extract_text().split())  # cells wrap over several lines
    assert "ỦY BAN NHÂN DÂN HUYỆN THỬ NGHIỆM" in text
    export = RegisterExport("incoming", False, date(2026, 4, 1), date(2026, 4, 30))
    assert export.title.upper() in text and export.period_line in text
    assert " ".join(str(INCOMING_COLUMNS[0].label).split()) in text
    assert "Ủy ban nhân dân tỉnh Điện Biên" in text
    assert "15/QĐ-UBND" in text and "30/03/2026" in text
    assert "Về việc phê duyệt kế hoạch cải cách hành chính năm 2026" in text
    assert "01/04/2026 " + f"{april['first'].register_number:02d}" in text
    assert "30/04/2026 " + f"{april['last'].register_number:02d}" in text
    assert "31/03/2026" not in text and "01/05/2026" not in text
    fonts = page["/Resources"]["/Font"]
    assert all(f.get_object()["/Subtype"] == "/Type0" for f in fonts.values())


def test_pdf_of_many_rows_has_many_pages_with_headers(people, client_for):
    for i in range(60):
        register(
            people.clerk,
            files=0,
            received_at=at(2026, 4, 2, 8, i),
            summary=f"Văn bản thứ {i} về việc tổ chức hội nghị tổng kết",
        )
    reader = PdfReader(io.BytesIO(body(client_for(people.clerk).get(url(fmt="pdf")))))
    assert len(reader.pages) > 1
    for page in reader.pages:
        assert "ỦY BAN NHÂN DÂN HUYỆN THỬ NGHIỆM" in page.extract_text()
    last = " ".join(reader.pages[-1].extract_text().split())
    assert "Văn bản thứ 59" in last and "60" in last


def test_outgoing_register(people, client_for):
    chain = make_chain(people)
    draft = signed_draft(people, chain, summary="V/v triển khai chuyển đổi số năm 2026")
    issued = issue_outgoing(people.clerk, draft.pk, version=draft.version, copies=5)
    day = issued.issued_on.isoformat()
    # The signer sees it through their grant (clerks through their role).
    response = client_for(people.leader).get(url("outgoing", "csv", date_from=day, date_to=day))
    rows = csv_rows(response)
    assert rows[0] == [str(c.label) for c in OUTGOING_COLUMNS]
    assert rows[1] == [
        issued.number_symbol,
        f"{issued.issued_on:%d/%m/%Y}",
        f"{issued.doc_type.name} — V/v triển khai chuyển đổi số năm 2026",
        issued.signer_name,
        f"Phòng Nội vụ; {people.outsider_head.full_name}; Sở Tài chính",
        "Phòng Tài chính - Kế hoạch",
        "5",
        f"{issued.issued_on:%d/%m/%Y}",
        "",
        "",
    ]
    assert len(rows) == 2
    xlsx = xlsx_rows(
        client_for(people.head).get(url("outgoing", "xlsx", date_from=day, date_to=day))
    )
    assert [r[0] for r in xlsx[XLSX_HEADER_ROWS:]] == [issued.number_symbol]
    assert xlsx[XLSX_HEADER_ROWS][6] == 5


def test_confidential_register_only_for_who_is_granted(people, client_for):
    secret = register(
        people.clerk,
        files=0,
        received_at=at(2026, 4, 3, 10, 0),
        secrecy=Secrecy.CONFIDENTIAL,
        summary="Tài liệu mật về công tác bảo vệ",
    )
    other_clerk = make_user("clerk2", "clerk", full_name="Ngô Văn Thư Hai")
    export = RegisterExport("incoming", True, date(2026, 4, 1), date(2026, 4, 30))
    # The clerk who registered it holds a grant; the other clerk and the leader do not.
    assert [d.pk for d in register_documents(people.clerk, export)] == [secret.pk]
    assert "incoming_confidential" in dict(list_export_registers(people.clerk))
    for user in (other_clerk, people.leader):
        assert not register_documents(user, export).exists()
        assert "incoming_confidential" not in dict(list_export_registers(user))
        response = client_for(user).get(url("incoming_confidential", "csv"))
        assert response.status_code == 400
        # nor in the ordinary register
        rows = csv_rows(client_for(user).get(url("incoming", "csv")))
        assert all("Tài liệu mật" not in cell for row in rows for cell in row)
    rows = csv_rows(client_for(people.clerk).get(url("incoming_confidential", "csv")))
    assert len(rows) == 2 and rows[1][5].endswith("Tài liệu mật về công tác bảo vệ")
    assert rows[1][9].startswith(str(Secrecy.CONFIDENTIAL.label))


def test_department_head_gets_only_their_departments_rows(people, client_for):
    ours = directed(people, received_at=at(2026, 4, 5, 9, 0), summary="Văn bản của phòng")
    theirs = directed(
        people,
        lead=Target(department=people.other_department),
        received_at=at(2026, 4, 6, 9, 0),
        summary="Văn bản của phòng khác",
    )
    register(people.clerk, files=0, received_at=at(2026, 4, 7, 9, 0), summary="Chưa giao")

    def summaries(user) -> list[str]:
        return [r[5] for r in csv_rows(client_for(user).get(url(fmt="csv")))[1:]]

    assert summaries(people.head) == [f"{ours.doc_type.name} — Văn bản của phòng"]
    assert summaries(people.outsider_head) == [f"{theirs.doc_type.name} — Văn bản của phòng khác"]
    assert len(summaries(people.clerk)) == 3
    assert len(summaries(people.leader)) == 2  # directed by them; the third only registered


def test_specialists_cannot_export(people, client_for):
    for user in (people.specialist, people.outsider):
        client = client_for(user)
        assert client.get(reverse("register-export")).status_code == 403
        assert client.get(url(fmt="csv")).status_code == 403
    page = client_for(people.head).get(reverse("register-export"))
    assert page.status_code == 200
    assert "incoming_confidential" not in page.text


def test_invalid_period_is_refused(people, client_for):
    client = client_for(people.clerk)
    assert client.get(url(date_from="2026-04-30", date_to="2026-04-01")).status_code == 400
    assert client.get(url(date_from="2024-01-01", date_to="2026-04-01")).status_code == 400


def _queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
        body(response)
    assert response.status_code == 200
    return len(captured)


def test_export_queries_do_not_grow_with_rows(people, client_for):
    chain = make_chain(people)
    issue_outgoing(people.clerk, signed_draft(people, chain).pk, version=None)
    day = timezone.localdate().isoformat()
    addresses = [url(fmt=f, date_from=day, date_to=day) for f in ("csv", "xlsx", "pdf")]
    addresses.append(url("outgoing", "csv", date_from=day, date_to=day))
    clients = [(u, client_for(u)) for u in (people.clerk, people.leader, people.head)]

    def count() -> dict:
        return {
            (user.username, address): _queries(client_for(user), address)
            for user, _client in clients
            for address in addresses
        }

    directed(people, files=0)
    few = count()
    for _ in range(6):
        directed(people, files=0)
    issue_outgoing(people.clerk, signed_draft(people, chain).pk, version=None)
    assert count() == few
