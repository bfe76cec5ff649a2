"""Preparing the final PDF for signature, and filling its number and date fields.

Before the leader signs, the final PDF gets, in one incremental update:

- an empty signature field for the signer (``LanhDao``) at the signature block of the last
  page: Decree 30, Appendix I puts it at the right, below the text, with the capacity and
  position above the signature and the full name below;
- an empty signature field for the agency (``VanThu``) whose seal covers about the left
  third of the signer's signature image (DOMAIN.md §c.3);
- read-only text fields for the number/symbol (``SoKyHieu``, left column of page 1 under
  the agency's name) and for the place-and-date line (``NgayBanHanh``, right column of
  page 1 under the national motto).

Filling pre-placed fields is the only way to add the number and date after the leader's
certification signature without breaking it (SIGNATURES.md §3); the agency's field must also
exist before that signature, because DocMDP P=2 forbids new signature fields.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields as sig_fields

from documents.signing.appearance import TextBlock, make_form_xobject

SIGNER_FIELD = "LanhDao"
AGENCY_FIELD = "VanThu"
NUMBER_FIELD = "SoKyHieu"
DATE_FIELD = "NgayBanHanh"
ATTACHMENT_FIELD = "VanThuDinhKem"

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class SignatureLayout:
    """Where the fields go, in PDF points on an A4 page (595 x 842, origin bottom left).

    The defaults follow Decree 30's layout for a draft with the usual margins; an agency
    whose templates differ can pass its own.
    """

    signer_box: Box = (330, 150, 540, 290)
    # Inside the signer's box: capacity lines above, the image, the name below.
    signer_image_height: float = 84
    signer_top_text: float = 34
    seal_size: float = 100
    number_box: Box = (60, 730, 290, 748)
    date_box: Box = (295, 730, 565, 748)
    attachment_box: Box = (360, 772, 575, 822)

    @property
    def signer_image_box(self) -> Box:
        """The image area of the signer's box, in the box's own coordinates."""
        x0, y0, x1, y1 = self.signer_box
        top = (y1 - y0) - self.signer_top_text
        return (4, top - self.signer_image_height, (x1 - x0) - 4, top)

    @property
    def image_width(self) -> float:
        # The signature images we make and accept are 2:1; the image is centred in its area.
        return min(self.signer_image_height * 2, self.signer_box[2] - self.signer_box[0] - 8)

    @property
    def seal_box(self) -> Box:
        """The agency's field: the seal, its right edge at one third of the signer's image,
        then down to two lines of text (agency name, time) under the signer's name."""
        x0, y0, x1, _y1 = self.signer_box
        ix0, iy0, _ix1, iy1 = self.signer_image_box
        image_left = x0 + ix0 + ((x1 - x0 - 8) - self.image_width) / 2
        right = image_left + self.image_width / 3
        centre_y = y0 + (iy0 + iy1) / 2
        return (
            right - self.seal_size,
            y0 - self.seal_text_height,
            right,
            centre_y + self.seal_size / 2,
        )

    @property
    def seal_image_box(self) -> Box:
        """The seal's square inside the agency's field."""
        x0, y0, x1, y1 = self.seal_box
        return (0, (y1 - y0) - self.seal_size, x1 - x0, y1 - y0)

    @property
    def seal_text_height(self) -> float:
        return 14


DEFAULT_LAYOUT = SignatureLayout()


def int_box(box: Box) -> tuple[int, int, int, int]:
    """pyHanko's field boxes are whole points."""
    x0, y0, x1, y1 = (round(v) for v in box)
    return (x0, y0, x1, y1)


def prepare_for_signature(pdf: bytes, layout: SignatureLayout = DEFAULT_LAYOUT) -> bytes:
    """The PDF with the empty signature and text fields, as one incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    pages = int(writer.root["/Pages"]["/Count"])
    existing = {name for name, _value, _ref in sig_fields.enumerate_sig_fields(writer)}
    if SIGNER_FIELD not in existing:
        sig_fields.append_signature_field(
            writer,
            sig_fields.SigFieldSpec(
                SIGNER_FIELD, on_page=pages - 1, box=int_box(layout.signer_box)
            ),
        )
    if AGENCY_FIELD not in existing:
        sig_fields.append_signature_field(
            writer,
            sig_fields.SigFieldSpec(AGENCY_FIELD, on_page=pages - 1, box=int_box(layout.seal_box)),
        )
    _add_text_field(writer, NUMBER_FIELD, 0, layout.number_box)
    _add_text_field(writer, DATE_FIELD, 0, layout.date_box)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _text_fields(writer) -> dict[str, generic.DictionaryObject]:
    found: dict[str, generic.DictionaryObject] = {}
    if "/AcroForm" not in writer.root:
        return found
    form = writer.root["/AcroForm"]
    # Indexing dereferences the indirect /Fields array; .get() would not.
    for ref in form["/Fields"] if "/Fields" in form else []:  # noqa: SIM401
        field_dict = ref.get_object()
        if field_dict.get("/FT") == "/Tx":
            found[str(field_dict.get("/T"))] = field_dict
    return found


def _add_text_field(writer, name: str, page_index: int, box: Box) -> None:
    if name in _text_fields(writer):
        return
    page_ref = writer.find_page_for_modification(page_index)[0]
    x0, y0, x1, y1 = box
    blank = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (0, 0, x1 - x0, y1 - y0)]
            ),
        },
        stream_data=b"",
    )
    widget = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): pdf_string(name),
            # Read-only (bit 1): only eoffice fills it, when the clerk issues the document.
            pdf_name("/Ff"): generic.NumberObject(1),
            # Printable (bit 3).
            pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in box]),
            pdf_name("/P"): page_ref,
            pdf_name("/DA"): pdf_string("/Helv 0 Tf 0 g"),
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): writer.add_object(blank)}),
        }
    )
    ref = writer.add_object(widget)
    form = writer.root["/AcroForm"]
    form["/Fields"].append(ref)
    writer.update_container(form["/Fields"])
    writer.update_container(form)
    writer.register_annotation(page_ref, ref)


def fill_text_fields(
    writer, values: dict[str, str], *, size: float = 12, fonts: dict[str, str] | None = None
) -> None:
    """Set the value and the appearance of existing text fields (form filling only)."""
    fields = _text_fields(writer)
    for name, value in values.items():
        field_dict = fields.get(name)
        if field_dict is None:
            raise ValueError(f"the PDF has no field {name}")
        x0, y0, x1, y1 = (float(v) for v in field_dict["/Rect"])
        ap = make_form_xobject(
            writer,
            x1 - x0,
            y1 - y0,
            TextBlock(
                lines=(value,), size=size, align="center", font=(fonts or {}).get(name, "serif")
            ),
        )
        field_dict["/V"] = pdf_string(value)
        field_dict["/AP"] = generic.DictionaryObject({pdf_name("/N"): ap})
        writer.update_container(field_dict)


def get_field_values(pdf: bytes) -> dict[str, str]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    values: dict[str, str] = {}
    if "/AcroForm" not in reader.root:
        return values
    form = reader.root["/AcroForm"]
    # Indexing dereferences the indirect /Fields array; .get() would not.
    for ref in form["/Fields"] if "/Fields" in form else []:  # noqa: SIM401
        field_dict = ref.get_object()
        if field_dict.get("/FT") == "/Tx":
            values[str(field_dict.get("/T"))] = str(field_dict.get("/V", ""))
    return values


def has_signature_fields(pdf: bytes) -> bool:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    names = {name for name, _v, _r in sig_fields.enumerate_sig_fields(reader)}
    return {SIGNER_FIELD, AGENCY_FIELD} <= names
