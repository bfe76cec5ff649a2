"""A test public-key infrastructure, for the demo and the tests only.

Root CA → issuing CA → certificates for people (leaders), for the agency (its electronic
seal) and for a timestamp authority, as SIGNATURES.md §2 describes. Real installations use
certificates from an accredited Vietnamese CA instead and never call this module.

The signer certificates carry EKU documentSigning **and** emailProtection: NSS (pdfsig,
Firefox, many readers) rejects a signer whose EKU holds documentSigning alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.utils import timezone

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@dataclass
class Issued:
    """A private key with its certificate and the chain above it (issuing CA, root)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]

    @property
    def common_name(self) -> str:
        return self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value  # type: ignore[return-value]

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def pkcs12(self, passphrase: bytes) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            self.common_name.encode(),
            self.key,
            self.certificate,
            self.chain,
            serialization.BestAvailableEncryption(passphrase),
        )


@dataclass
class TestPKI:
    root: Issued
    issuing: Issued

    def root_pem(self) -> bytes:
        return self.root.certificate_pem()

    def issue_person(
        self,
        name: str,
        *,
        title: str = "",
        organisation: str = "",
        uid: str = "",
        valid_from: datetime | None = None,
        valid_days: int = 730,
        key_size: int = 2048,
    ) -> Issued:
        """A signer certificate for a person (KU digitalSignature + nonRepudiation)."""
        attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
        if organisation:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        if title:
            attributes.append(x509.NameAttribute(NameOID.TITLE, title))
        if uid:
            attributes.append(x509.NameAttribute(NameOID.USER_ID, uid))
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
        return _issue(
            self.issuing,
            x509.Name(attributes),
            key_size=key_size,
            valid_from=valid_from,
            valid_days=valid_days,
            signer=True,
        )

    def issue_agency(self, name: str, *, uid: str = "", **kwargs) -> Issued:
        """The agency's own certificate: its electronic seal (chữ ký số của cơ quan)."""
        return self.issue_person(name, organisation=name, uid=uid, **kwargs)

    def issue_tsa(self, name: str = "eoffice Test TSA") -> Issued:
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        return _issue(self.issuing, subject, key_size=2048, valid_days=3650, tsa=True)


def _now() -> datetime:
    return timezone.now().replace(microsecond=0)


def _ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "eoffice test PKI (not for real use)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _issue(
    issuer: Issued | None,
    subject: x509.Name,
    *,
    key_size: int,
    valid_from: datetime | None = None,
    valid_days: int,
    ca_path_length: int | None = None,
    signer: bool = False,
    tsa: bool = False,
) -> Issued:
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    start = valid_from or (_now() - timedelta(days=1))
    is_ca = ca_path_length is not None
    issuer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(
            x509.BasicConstraints(ca=is_ca, path_length=ca_path_length if is_ca else None),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=signer,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        if tsa:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
        else:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                critical=False,
            )
    certificate = builder.sign(issuer_key, hashes.SHA256())
    chain = ([issuer.certificate, *issuer.chain]) if issuer else []
    return Issued(key=key, certificate=certificate, chain=chain)


def build_test_pki(name: str = "eoffice Test", *, key_size: int = 3072) -> TestPKI:
    """A fresh root and issuing CA (about a second of key generation at 3072 bits)."""
    root = _issue(
        None, _ca_name(f"{name} Root CA"), key_size=key_size, valid_days=3650, ca_path_length=1
    )
    issuing = _issue(
        root, _ca_name(f"{name} Issuing CA"), key_size=key_size, valid_days=3650, ca_path_length=0
    )
    return TestPKI(root=root, issuing=issuing)


def write_pem(path: Path, certificate: x509.Certificate) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
