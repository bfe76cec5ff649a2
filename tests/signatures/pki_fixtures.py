"""A test PKI, a timestamp authority (in process and over loopback HTTP) and sample PDFs."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import tsp
from django.utils import timezone
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from documents.signing import pki
from documents.signing.signers import ServerKeyDevice, SignerIdentity, TokenDouble, to_asn1

PASSPHRASE = b"mat-khau-thu-nghiem"
AGENCY_NAME = "Ủy ban nhân dân huyện Sơn Hà"


@dataclass
class Keys:
    pki: pki.TestPKI
    leader: pki.Issued
    agency: pki.Issued
    tsa: pki.Issued
    expired: pki.Issued
    stranger: pki.Issued  # issued by another CA, not trusted

    @property
    def roots(self):
        return [to_asn1(self.pki.root.certificate)]

    def device(self, issued: pki.Issued) -> ServerKeyDevice:
        return ServerKeyDevice.from_pkcs12(issued.pkcs12(PASSPHRASE), PASSPHRASE)

    def token(self, issued: pki.Issued, *, corrupt: bool = False) -> TokenDouble:
        identity = SignerIdentity(certificate=issued.certificate, chain=issued.chain)
        return TokenDouble(issued.key, identity, corrupt=corrupt)

    def timestamper(self) -> DummyTimeStamper:
        return DummyTimeStamper(
            to_asn1(self.tsa.certificate),
            load_private_key_from_pemder_data(self.tsa.key_pem(), None),
            certs_to_embed=SimpleCertificateStore.from_certs([to_asn1(c) for c in self.tsa.chain]),
        )


def build_keys() -> Keys:
    test_pki = pki.build_test_pki("eoffice Test", key_size=2048)
    other = pki.build_test_pki("Unknown", key_size=2048)
    long_ago = timezone.now() - timedelta(days=800)
    return Keys(
        pki=test_pki,
        leader=test_pki.issue_person(
            "Nguyễn Văn An", title="Phó Chủ tịch", organisation=AGENCY_NAME, uid="CCCD:001"
        ),
        agency=test_pki.issue_agency(AGENCY_NAME, uid="MST:0101"),
        tsa=test_pki.issue_tsa(),
        expired=test_pki.issue_person("Trần Thị Hết Hạn", valid_from=long_ago, valid_days=365),
        stranger=other.issue_person("Người Lạ"),
    )


class LoopbackTSA:
    """An RFC 3161 timestamp authority over HTTP on 127.0.0.1, for code that calls a URL."""

    def __init__(self, stamper: DummyTimeStamper) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                response = outer.respond(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(response)))
                self.end_headers()
                self.wfile.write(response)

            def log_message(self, *args) -> None:
                pass

        self.stamper = stamper
        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def respond(self, body: bytes) -> bytes:
        import asyncio

        self.requests += 1
        request = tsp.TimeStampReq.load(body)
        return asyncio.run(self.stamper.async_request_tsa_response(request)).dump()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/tsa"

    def __enter__(self) -> LoopbackTSA:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_pages_pdf(pages: int, *, title: str = "QUYET DINH") -> bytes:
    """An A4 PDF of ``pages`` pages of text (Helvetica, so without accents)."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for page in range(pages):
        lines = [f"{title} - trang {page + 1}"] + [
            f"Dieu {page * 30 + n}. Noi dung thu nghiem cua van ban." for n in range(30)
        ]
        ops = ["BT /F1 11 Tf 14 TL 70 700 Td"] + [f"({line}) Tj T*" for line in lines] + ["ET"]
        stream = "\n".join(ops).encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, content)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        pages,
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
