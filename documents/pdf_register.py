"""A print-ready register (A4 landscape table) written as a PDF, page by page.

PDF libraries keep every page of a document until they write it out; a register of
100,000 rows is some 4,000 pages. This writer sends each page as soon as it is laid out
and remembers only the byte offset of each object, so memory stays flat whatever the
number of rows. Text is set in DejaVu Sans (Debian's ``fonts-dejavu-core``) embedded as a
CID font, so Vietnamese prints with its diacritics and copies back out of the PDF: the
font is subset at the end to the glyphs actually used, keeping their glyph ids.
"""

from __future__ import annotations

import io
import logging
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

# The subsetter reports every table it touches at INFO level: noise in the server's log.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR_FONT = FONT_DIR / "DejaVuSans.ttf"
BOLD_FONT = FONT_DIR / "DejaVuSans-Bold.ttf"

# A4 landscape, in points.
PAGE_WIDTH, PAGE_HEIGHT = 842, 595
MARGIN = 28
BODY_SIZE = 8
LEADING = 10
PADDING = 2
# A cell never takes more than this many lines; longer text ends with "…".
MAX_CELL_LINES = 30


class _Font:
    """Glyph ids and widths of one TrueType font, and the glyphs a document used."""

    def __init__(self, path: Path, tag: str) -> None:
        self.path = path
        self.tag = tag
        font = TTFont(path, lazy=True)
        self.postscript_name = font["name"].getDebugName(6) or path.stem
        self._cmap = font.getBestCmap()
        self._glyph_ids = font.getReverseGlyphMap()
        self._advances = {name: advance for name, (advance, _lsb) in font["hmtx"].metrics.items()}
        head, hhea = font["head"], font["hhea"]
        self.scale = 1000 / head.unitsPerEm
        self.bbox = [round(v * self.scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.ascent = round(hhea.ascent * self.scale)
        self.descent = round(hhea.descent * self.scale)
        os2 = font["OS/2"]
        self.cap_height = round(getattr(os2, "sCapHeight", hhea.ascent) * self.scale)
        font.close()
        self._glyphs: dict[str, tuple[int, int]] = {}
        # glyph id -> (width in 1/1000 em, the text it stands for)
        self.used: dict[int, tuple[int, str]] = {}

    def _glyph(self, char: str) -> tuple[int, int]:
        cached = self._glyphs.get(char)
        if cached is None:
            name = self._cmap.get(ord(char))
            if name is None:
                name = self._cmap.get(ord("?"), ".notdef")
            cached = (self._glyph_ids[name], round(self._advances[name] * self.scale))
            self._glyphs[char] = cached
        return cached

    def width(self, text: str, size: float) -> float:
        return sum(self._glyph(c)[1] for c in text) * size / 1000

    def encode(self, text: str) -> str:
        """The text as a hex string of 2-byte glyph ids (Identity-H encoding)."""
        out = []
        for char in text:
            gid, width = self._glyph(char)
            self.used.setdefault(gid, (width, char))
            out.append(f"{gid:04X}")
        return "<" + "".join(out) + ">"

    def subset_program(self) -> bytes:
        """The font file cut down to the used glyphs, each keeping its glyph id."""
        options = subset.Options()
        options.retain_gids = True
        options.notdef_outline = True
        options.layout_features = []
        options.name_IDs = ["*"]
        options.hinting = True
        # FontForge's timestamp table: not needed in a PDF, and the subsetter cannot cut it.
        options.drop_tables = [*options.drop_tables, "FFTM", "GSUB", "GPOS", "GDEF"]
        font = TTFont(self.path)
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=sorted({0, *self.used}))
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        font.close()
        return buffer.getvalue()


def wrap(font: _Font, text: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at spaces; a word wider than the column is cut."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.width(candidate, size) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = ""
            while font.width(word, size) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and font.width(word[:cut], size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    if len(lines) > MAX_CELL_LINES:
        lines = [*lines[: MAX_CELL_LINES - 1], lines[MAX_CELL_LINES - 1] + "…"]
    return lines


@dataclass(frozen=True)
class PdfColumn:
    label: str
    weight: float  # share of the table's width
    align: str = "left"  # or "center"


class _Objects:
    """Byte offsets of the objects written so far; numbers can be reserved ahead."""

    def __init__(self) -> None:
        self.offsets: dict[int, int] = {}
        self.position = 0
        self._next = 1

    def reserve(self) -> int:
        number = self._next
        self._next += 1
        return number

    @property
    def count(self) -> int:
        return self._next

    def emit(self, data: bytes) -> bytes:
        self.position += len(data)
        return data

    def write(self, number: int, body: bytes) -> bytes:
        self.offsets[number] = self.position
        return self.emit(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")

    def stream(self, number: int, data: bytes, extra: str = "") -> bytes:
        packed = zlib.compress(data, 6)
        head = f"<< /Length {len(packed)} /Filter /FlateDecode{extra} >>\nstream\n".encode()
        return self.write(number, head + packed + b"\nendstream")


def _pdf_text_string(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _font_objects(objects: _Objects, font: _Font, ids: dict[str, int]) -> Iterator[bytes]:
    name = f"{font.tag}+{font.postscript_name}"
    program = font.subset_program()
    yield objects.stream(ids["file"], program, f" /Length1 {len(program)}")
    bbox = " ".join(str(v) for v in font.bbox)
    yield objects.write(
        ids["descriptor"],
        (
            f"<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{bbox}] "
            f"/ItalicAngle 0 /Ascent {font.ascent} /Descent {font.descent} "
            f"/CapHeight {font.cap_height} /StemV 80 /FontFile2 {ids['file']} 0 R >>"
        ).encode(),
    )
    widths = " ".join(f"{gid} [{width}]" for gid, (width, _c) in sorted(font.used.items()))
    yield objects.write(
        ids["cid"],
        (
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {ids['descriptor']} 0 R /CIDToGIDMap /Identity "
            f"/DW 1000 /W [{widths}] >>"
        ).encode(),
    )
    entries = sorted(font.used.items())
    blocks = []
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        lines = "\n".join(
            f"<{gid:04X}> <{char.encode('utf-16-be').hex().upper()}>" for gid, (_w, char) in chunk
        )
        blocks.append(f"{len(chunk)} beginbfchar\n{lines}\nendbfchar")
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )
    yield objects.stream(ids["unicode"], cmap.encode())
    yield objects.write(
        ids["type0"],
        (
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
            f"/DescendantFonts [{ids['cid']} 0 R] /ToUnicode {ids['unicode']} 0 R >>"
        ).encode(),
    )


class _Page:
    def __init__(self) -> None:
        self.ops: list[str] = []

    def text(self, font_name: str, font: _Font, size: float, x: float, y: float, s: str) -> None:
        self.ops.append(f"BT /{font_name} {size} Tf {x:.2f} {y:.2f} Td {font.encode(s)} Tj ET")

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        self.ops.append(f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re S")


def iter_register_pdf(
    *,
    agency_name: str,
    title: str,
    subtitle: str,
    columns: Sequence[PdfColumn],
    rows: Iterable[Sequence[str]],
    page_label: str = "Page %(page)s",
    total_label: str = "Total: %(count)s",
) -> Iterator[bytes]:
    """The register as PDF bytes, one chunk per page; ``rows`` are read lazily once.

    Every page repeats the agency's name, the title, the period line and the column
    headers, and carries its number at the foot.
    """
    regular = _Font(REGULAR_FONT, "EOFFRA")
    bold = _Font(BOLD_FONT, "EOFFBA")
    objects = _Objects()
    catalog, pages_root, info = objects.reserve(), objects.reserve(), objects.reserve()
    font_ids = {
        key: {part: objects.reserve() for part in ("type0", "cid", "descriptor", "file", "unicode")}
        for key in ("F1", "F2")
    }
    resources = (
        f"<< /Font << /F1 {font_ids['F1']['type0']} 0 R /F2 {font_ids['F2']['type0']} 0 R >> >>"
    )
    yield objects.emit(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    table_width = PAGE_WIDTH - 2 * MARGIN
    total_weight = sum(c.weight for c in columns) or 1
    widths = [table_width * c.weight / total_weight for c in columns]
    header_cells = [
        wrap(bold, unicodedata.normalize("NFC", c.label), BODY_SIZE, w - 2 * PADDING)
        for c, w in zip(columns, widths, strict=True)
    ]
    header_height = max(len(cell) for cell in header_cells) * LEADING + 2 * PADDING
    bottom: float = MARGIN + 14  # room for the page number
    page_ids: list[int] = []

    def start_page() -> tuple[_Page, float]:
        page = _Page()
        top = PAGE_HEIGHT - MARGIN
        page.text("F2", bold, 10, MARGIN, top - 10, agency_name.upper())
        title_width = bold.width(title, 13)
        page.text("F2", bold, 13, (PAGE_WIDTH - title_width) / 2, top - 30, title)
        sub_width = regular.width(subtitle, 9)
        page.text("F1", regular, 9, (PAGE_WIDTH - sub_width) / 2, top - 44, subtitle)
        y = top - 54
        _draw_row(page, bold, "F2", header_cells, y, header_height)
        return page, y - header_height

    def _draw_row(page: _Page, font: _Font, name: str, cells, y: float, height: float) -> None:
        x: float = MARGIN
        for column, width, lines in zip(columns, widths, cells, strict=True):
            page.rect(x, y - height, width, height)
            line_y = y - PADDING - BODY_SIZE
            for line in lines:
                if column.align == "center":
                    lx = x + (width - font.width(line, BODY_SIZE)) / 2
                else:
                    lx = x + PADDING
                page.text(name, font, BODY_SIZE, lx, line_y, line)
                line_y -= LEADING
            x += width

    def finish_page(page: _Page) -> bytes:
        number = len(page_ids) + 1
        label = page_label % {"page": number}
        page.text(
            "F1",
            regular,
            8,
            PAGE_WIDTH - MARGIN - regular.width(label, 8),
            MARGIN,
            label,
        )
        content, page_id = objects.reserve(), objects.reserve()
        page_ids.append(page_id)
        data = objects.stream(content, "\n".join(["0.5 w", *page.ops]).encode())
        data += objects.write(
            page_id,
            (
                f"<< /Type /Page /Parent {pages_root} 0 R /MediaBox [0 0 {PAGE_WIDTH} "
                f"{PAGE_HEIGHT}] /Resources {resources} /Contents {content} 0 R >>"
            ).encode(),
        )
        return data

    page, y = start_page()
    count = 0
    for row in rows:
        cells = [
            wrap(regular, unicodedata.normalize("NFC", value), BODY_SIZE, w - 2 * PADDING)
            for value, w in zip(row, widths, strict=True)
        ]
        height = max(len(cell) for cell in cells) * LEADING + 2 * PADDING
        if y - height < bottom and page.ops:
            yield finish_page(page)
            page, y = start_page()
        _draw_row(page, regular, "F1", cells, y, height)
        y -= height
        count += 1
    total = total_label % {"count": f"{count:,}".replace(",", ".")}
    if y - 16 < bottom:
        yield finish_page(page)
        page, y = start_page()
    page.text("F2", bold, 9, MARGIN, y - 14, total)
    yield finish_page(page)

    for key, font in (("F1", regular), ("F2", bold)):
        yield from _font_objects(objects, font, font_ids[key])
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    yield objects.write(
        pages_root, f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    )
    yield objects.write(catalog, f"<< /Type /Catalog /Pages {pages_root} 0 R >>".encode())
    yield objects.write(
        info,
        f"<< /Title {_pdf_text_string(title)} /Producer (eoffice) >>".encode(),
    )
    xref_at = objects.position
    size = objects.count
    lines = [f"xref\n0 {size}\n0000000000 65535 f \n"]
    lines.extend(f"{objects.offsets[n]:010d} 00000 n \n" for n in range(1, size))
    lines.append(
        f"trailer\n<< /Size {size} /Root {catalog} 0 R /Info {info} 0 R >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    )
    yield "".join(lines).encode()
