"""The incoming and outgoing registers of a period, as XLSX, CSV and PDF (DOMAIN §d).

The rows are exactly those ``visible_documents`` gives the user, read in chunks with a
fixed number of queries per chunk; every format is written while the rows are read, so
memory stays flat for registers of 100,000 rows and more (docs/PERFORMANCE.md, "Exports").
Period boundaries are local midnights in the agency's time zone (Asia/Ho_Chi_Minh).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import IO, Any, Literal

from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from documents.models import Document, DocumentEvent, OutgoingRecipient, Register, Secrecy, Urgency
from documents.pdf_register import PdfColumn, iter_register_pdf
from documents.permissions import visible_documents
from eoffice.models import Agency, User

CHUNK_SIZE = 1000
CellValue = str | int | date | None


class ExportFormat:
    XLSX = "xlsx"
    CSV = "csv"
    PDF = "pdf"
    CHOICES = (
        (XLSX, gettext_lazy("Excel (XLSX)")),
        (CSV, gettext_lazy("CSV (UTF-8)")),
        (PDF, gettext_lazy("PDF for printing (A4 landscape)")),
    )
    CONTENT_TYPES = {
        XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        CSV: "text/csv; charset=utf-8",
        PDF: "application/pdf",
    }


@dataclass(frozen=True)
class Column:
    label: Any  # a lazy translation
    kind: Literal["text", "date", "number"]
    width: float  # characters in XLSX, relative share of the page in PDF


# The columns of Decree 30, Appendix II (DOMAIN §d), in the decree's order.
INCOMING_COLUMNS = (
    Column(gettext_lazy("Arrival date"), "date", 11),
    Column(gettext_lazy("Arrival number"), "number", 7),
    Column(gettext_lazy("Issuing body"), "text", 22),
    Column(gettext_lazy("Number and symbol"), "text", 14),
    Column(gettext_lazy("Document date"), "date", 11),
    Column(gettext_lazy("Type and summary"), "text", 45),
    Column(gettext_lazy("Recipient unit or person"), "text", 20),
    Column(gettext_lazy("Date passed on"), "date", 11),
    Column(gettext_lazy("Signature of receipt"), "text", 10),
    Column(gettext_lazy("Notes"), "text", 18),
)
OUTGOING_COLUMNS = (
    Column(gettext_lazy("Number and symbol"), "text", 14),
    Column(gettext_lazy("Document date"), "date", 11),
    Column(gettext_lazy("Type and summary"), "text", 45),
    Column(gettext_lazy("Signer"), "text", 16),
    Column(gettext_lazy("Recipients"), "text", 26),
    Column(gettext_lazy("Unit or person keeping the file copy"), "text", 16),
    Column(gettext_lazy("Number of copies"), "number", 7),
    Column(gettext_lazy("Date dispatched"), "date", 11),
    Column(gettext_lazy("Signature of receipt"), "text", 10),
    Column(gettext_lazy("Notes"), "text", 18),
)


@dataclass(frozen=True)
class RegisterExport:
    """One register of one period, as one user may see it."""

    kind: str  # Register.Kind
    confidential: bool
    date_from: date
    date_to: date  # inclusive

    @property
    def columns(self) -> tuple[Column, ...]:
        return INCOMING_COLUMNS if self.kind == Register.Kind.INCOMING else OUTGOING_COLUMNS

    @property
    def title(self) -> str:
        titles: dict[tuple[str, bool], str] = {
            (Register.Kind.INCOMING, False): _("Register of incoming documents"),
            (Register.Kind.INCOMING, True): _("Register of confidential incoming documents"),
            (Register.Kind.OUTGOING, False): _("Register of outgoing documents"),
            (Register.Kind.OUTGOING, True): _("Register of confidential outgoing documents"),
        }
        return titles[(self.kind, self.confidential)]

    @property
    def period_line(self) -> str:
        return _("From %(start)s to %(end)s") % {
            "start": f"{self.date_from:%d/%m/%Y}",
            "end": f"{self.date_to:%d/%m/%Y}",
        }

    def bounds(self) -> tuple[datetime, datetime]:
        """[first local midnight, the local midnight after the last day)."""
        zone = timezone.get_default_timezone()
        start = datetime.combine(self.date_from, time.min, tzinfo=zone)
        end = datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=zone)
        return start, end

    def filename(self, fmt: str) -> str:
        base = "so-van-ban-den" if self.kind == Register.Kind.INCOMING else "so-van-ban-di"
        if self.confidential:
            base += "-mat"
        return f"{base}_{self.date_from:%Y-%m-%d}_{self.date_to:%Y-%m-%d}.{fmt}"


# --- who may export, and what ------------------------------------------------------------


def can_export_registers(user: User) -> bool:
    """Register keepers and those who answer for others' work: clerks, leaders, heads."""
    return user.is_active and (user.is_clerk or user.is_leader or user.is_department_head)


def list_export_registers(user: User) -> list[tuple[str, str]]:
    """The registers ``user`` may choose: the confidential ones only if they see a document
    of them (one query)."""
    choices = [
        ("incoming", _("Register of incoming documents")),
        ("outgoing", _("Register of outgoing documents")),
    ]
    confidential = set(
        visible_documents(user)
        .filter(register__is_confidential=True)
        .values_list("register__kind", flat=True)
        .distinct()
        .order_by()
    )
    if Register.Kind.INCOMING in confidential:
        choices.append(("incoming_confidential", _("Register of confidential incoming documents")))
    if Register.Kind.OUTGOING in confidential:
        choices.append(("outgoing_confidential", _("Register of confidential outgoing documents")))
    return choices


def register_documents(user: User, export: RegisterExport) -> QuerySet[Document]:
    """The register's documents of the period that ``user`` may see, in register order."""
    start, end = export.bounds()
    documents = visible_documents(user).filter(
        register__kind=export.kind, register__is_confidential=export.confidential
    )
    if export.kind == Register.Kind.INCOMING:
        directed = DocumentEvent.objects.filter(
            document=OuterRef("pk"), action=DocumentEvent.Action.DIRECTED
        ).order_by("-created_at", "-pk")
        return (
            documents.filter(
                direction=Document.Direction.INCOMING, received_at__gte=start, received_at__lt=end
            )
            .annotate(
                passed_to=Subquery(directed.values("data__lead")[:1]),
                passed_at=Subquery(directed.values("created_at")[:1]),
            )
            .select_related("doc_type")
            .order_by("received_at", "register_number", "pk")
        )
    return (
        documents.filter(
            direction=Document.Direction.OUTGOING,
            state__in=[Document.State.ISSUED, Document.State.WITHDRAWN],
            issued_at__gte=start,
            issued_at__lt=end,
        )
        .select_related("doc_type", "drafting_department")
        .prefetch_related(
            Prefetch(
                "recipients",
                queryset=OutgoingRecipient.objects.select_related("department", "user"),
            )
        )
        .order_by(F("issued_at").asc(), "pk")
    )


def _marks(document: Document) -> list[str]:
    marks = []
    if document.secrecy != Secrecy.NONE:
        marks.append(str(Secrecy(document.secrecy).label))
    if document.urgency != Urgency.NORMAL:
        marks.append(str(Urgency(document.urgency).label))
    return marks


def _incoming_row(document: Any) -> tuple[CellValue, ...]:
    notes = _marks(document)
    if document.state == Document.State.CANCELLED:
        notes.append(_("Registration cancelled: %(reason)s") % {"reason": document.cancel_reason})
    if document.notes:
        notes.append(document.notes)
    passed_at = document.passed_at
    if isinstance(passed_at, str):  # SQLite returns a subquery's datetime as text
        passed_at = datetime.fromisoformat(passed_at)
    return (
        timezone.localdate(document.received_at) if document.received_at else None,
        document.register_number,
        document.sender_name,
        document.number_symbol,
        document.issued_on,
        f"{document.doc_type.name} — {document.summary}",
        document.passed_to or "",
        timezone.localdate(passed_at) if passed_at else None,
        "",
        "; ".join(notes),
    )


def _outgoing_row(document: Document) -> tuple[CellValue, ...]:
    recipients = list(document.recipients.all())
    sent_to = [r.label for r in recipients if r.group != OutgoingRecipient.Group.FILE]
    kept_by = [r.label for r in recipients if r.group == OutgoingRecipient.Group.FILE]
    if not kept_by and document.drafting_department is not None:
        kept_by = [str(document.drafting_department)]
    notes = _marks(document)
    if document.state == Document.State.WITHDRAWN:
        notes.append(_("Withdrawn: %(reason)s") % {"reason": document.withdraw_reason})
    if document.notes:
        notes.append(document.notes)
    return (
        document.number_symbol,
        document.issued_on,
        f"{document.doc_type.name} — {document.summary}",
        document.signer_name,
        "; ".join(sent_to),
        "; ".join(kept_by),
        document.copies,
        timezone.localdate(document.issued_at) if document.issued_at else None,
        "",
        "; ".join(notes),
    )


def iter_register_rows(user: User, export: RegisterExport) -> Iterator[tuple[CellValue, ...]]:
    """The register's rows, read lazily in chunks (a fixed number of queries per chunk)."""
    to_row: Callable[[Any], tuple[CellValue, ...]] = (
        _incoming_row if export.kind == Register.Kind.INCOMING else _outgoing_row
    )
    for document in register_documents(user, export).iterator(chunk_size=CHUNK_SIZE):
        yield to_row(document)


# --- formats ------------------------------------------------------------------------------


def in_current_language(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Run a streamed body in the language of the request that started it: the server
    reads it after the view has returned, maybe in another thread."""
    language = translation.get_language()

    def body() -> Iterator[bytes]:
        with translation.override(language):
            yield from chunks

    return body()


def text_value(column: Column, value: CellValue) -> str:
    """A cell as text: dates dd/mm/yyyy, numbers below 10 with a leading zero (DOMAIN §e)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, int):
        return f"{value:02d}" if column is INCOMING_COLUMNS[1] else str(value)
    return value


def neutralise_formula(text: str) -> str:
    """A spreadsheet must not run text that came from users as a formula (TRAPS.md)."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def iter_csv(user: User, export: RegisterExport) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark, so that Excel reads the Vietnamese correctly."""
    columns = export.columns
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(c.label) for c in columns])
    yield ("\ufeff" + buffer.getvalue()).encode()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(iter_register_rows(user, export), start=1):
        writer.writerow(
            [
                neutralise_formula(text_value(c, v)) if c.kind == "text" else text_value(c, v)
                for c, v in zip(columns, row, strict=True)
            ]
        )
        if count % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


XLSX_HEADER_ROWS = 4  # agency, title, period, column headers
# A background export reports its progress after every this many rows (one UPDATE each).
PROGRESS_EVERY = CHUNK_SIZE


def write_xlsx(
    user: User,
    export: RegisterExport,
    target: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the register to ``target`` with openpyxl's write-only mode (rows go to a
    temporary file as they come); returns the number of documents.

    ``progress``, if given, is called with the number of rows written so far after every
    ``PROGRESS_EVERY`` rows (not after each row).
    """
    columns = export.columns
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Register")[:31])
    for index, column in enumerate(columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = column.width
    sheet.freeze_panes = f"A{XLSX_HEADER_ROWS + 1}"
    sheet.print_title_rows = f"{XLSX_HEADER_ROWS}:{XLSX_HEADER_ROWS}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)

    bold = Font(bold=True)
    wrapped = Alignment(wrap_text=True, vertical="top")

    def text_cell(value: str, *, font: Font | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if font is not None:
            cell.font = font
        return cell

    sheet.append([text_cell(_agency_name().upper(), font=bold)])
    sheet.append([text_cell(export.title.upper(), font=Font(bold=True, size=14))])
    sheet.append([text_cell(export.period_line)])
    sheet.append([text_cell(str(c.label), font=bold) for c in columns])
    count = 0
    for row in iter_register_rows(user, export):
        cells: list[WriteOnlyCell | None] = []
        for column, value in zip(columns, row, strict=True):
            if value is None or value == "":
                cells.append(None)
            elif column.kind == "date":
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "DD/MM/YYYY"
                cells.append(cell)
            elif column.kind == "number":
                cell = WriteOnlyCell(sheet, value=value)
                if column is INCOMING_COLUMNS[1]:
                    cell.number_format = "00"
                cells.append(cell)
            else:
                cell = text_cell(str(value))
                cell.alignment = wrapped
                cells.append(cell)
        sheet.append(cells)
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    workbook.save(target)
    return count


def _agency_name() -> str:
    agency = Agency.objects.only("name").first()
    return agency.name if agency else "eoffice"


def iter_pdf(user: User, export: RegisterExport) -> Iterator[bytes]:
    """A4 landscape, the agency's name and the register's title on every page."""
    columns = export.columns
    pdf_columns = [
        PdfColumn(str(c.label), c.width, "left" if c.kind == "text" else "center") for c in columns
    ]
    rows = (
        [text_value(c, v) for c, v in zip(columns, row, strict=True)]
        for row in iter_register_rows(user, export)
    )
    yield from iter_register_pdf(
        agency_name=_agency_name(),
        title=export.title.upper(),
        subtitle=export.period_line,
        columns=pdf_columns,
        rows=rows,
        page_label=_("Page %(page)s"),
        total_label=_("Total: %(count)s documents"),
    )
