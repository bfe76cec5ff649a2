"""A minimal PDF writer: one A4 page of plain text, for demo attachments and test files.

The standard Helvetica font has no Vietnamese glyphs, so text is written without accents.
"""

from __future__ import annotations

from documents.text import fold


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_text_pdf(lines: list[str], *, title: str = "eoffice") -> bytes:
    ascii_lines = [fold(line).encode("ascii", "replace").decode() for line in lines]
    # fold() lower-cases; keep the first line (usually the heading) in capitals.
    if ascii_lines:
        ascii_lines[0] = ascii_lines[0].upper()
    text_ops = ["BT", "/F1 12 Tf", "14 TL", "56 780 Td"]
    for line in ascii_lines:
        text_ops.append(f"({_escape(line[:90])}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Title (" + _escape(fold(title)).encode("ascii", "replace") + b") >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
