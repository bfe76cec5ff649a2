"""Where a signature value comes from: a key the server holds, or a device it never sees.

Every signature is made in two steps (SIGNATURES.md §5): eoffice prepares the document and
the CMS signed attributes and computes their SHA-256 digest; a *signing device* returns the
raw signature of that digest; eoffice checks that value against the signer's certificate
and only then embeds it. The adapters differ only in who holds the private key:

- ``ServerKeyDevice``: a PKCS#12 file kept by the server (the demo; an agency with an HSM
  would write the same small class over ``pyhanko.sign.pkcs11``);
- ``RemoteDevice`` subclasses: a USB token reached through the user's browser helper, or a
  remote-signing service (SIM/cloud signature): eoffice stores the pending signature, sends
  the digest, and finishes when the value comes back, possibly in another request;
- ``TokenDouble``: a test double that plays the token, able to return a corrupted value.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils.translation import gettext as _

from documents.errors import DocumentError


class SigningError(DocumentError):
    """Signing could not be done; the message is shown to the user."""


class SignatureValueRejected(SigningError):
    """The value a device returned is not a signature of the digest by this certificate."""


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


@dataclass
class SignerIdentity:
    """A signer's certificate and the chain up to (and including) its root."""

    certificate: x509.Certificate
    chain: list[x509.Certificate]

    @property
    def common_name(self) -> str:
        names = self.certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.certificate.subject.rfc4514_string()

    def asn1_certificate(self) -> asn1_x509.Certificate:
        return to_asn1(self.certificate)

    def asn1_chain(self) -> list[asn1_x509.Certificate]:
        return [to_asn1(c) for c in self.chain]


def check_signature_value(certificate: x509.Certificate, digest: bytes, value: bytes) -> None:
    """Refuse a returned value unless it is this certificate's signature of ``digest``.

    pyHanko embeds whatever value it is given; a corrupted or foreign value would make a
    document that every reader shows as invalid, so it is checked before embedding.
    """
    public_key = certificate.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(value, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(value, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        else:
            raise SignatureValueRejected(_("This kind of key is not supported."))
    except (InvalidSignature, ValueError) as exc:
        raise SignatureValueRejected(
            _("The signature returned by the device does not match the signer's certificate.")
        ) from exc


class SigningDevice:
    """Something that signs a SHA-256 digest with the private key of ``identity``."""

    identity: SignerIdentity
    # True when the value comes back later (a token in the user's browser, a remote
    # service): the caller stores the pending signature and finishes it on a later request.
    is_remote: bool = False

    def sign_digest(self, digest: bytes) -> bytes:
        raise NotImplementedError


class ServerKeyDevice(SigningDevice):
    """A key the server holds in a PKCS#12 file (demo, or keys an agency keeps on the server)."""

    def __init__(self, key, identity: SignerIdentity) -> None:
        self._key = key
        self.identity = identity

    @classmethod
    def from_pkcs12(cls, data: bytes, passphrase: bytes | None) -> ServerKeyDevice:
        try:
            key, certificate, extra = pkcs12.load_key_and_certificates(data, passphrase)
        except ValueError as exc:
            raise SigningError(_("The key file cannot be opened with its passphrase.")) from exc
        if key is None or certificate is None:
            raise SigningError(_("The key file holds no key and certificate."))
        return cls(key, SignerIdentity(certificate=certificate, chain=list(extra or [])))

    def sign_digest(self, digest: bytes) -> bytes:
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        raise SigningError(_("This kind of key is not supported."))


class RemoteDevice(SigningDevice):
    """A USB token or a remote-signing service: the value arrives in a later request.

    A concrete service subclasses this and implements ``request`` (send the digest and the
    document's description to the service or to the user's browser helper). The
    certificate (with its chain) comes first from the helper or the service, as the prepared
    signature needs it (signing_certificate_v2, appearance).
    """

    is_remote = True

    def __init__(self, identity: SignerIdentity) -> None:
        self.identity = identity

    def request(self, digest: bytes, description: str) -> None:
        """Push the digest to a service that needs it pushed; a browser helper for a USB
        token pulls the pending signature itself, so by default there is nothing to do."""

    def sign_digest(self, digest: bytes) -> bytes:
        raise SigningError(_("This key signs on the signer's own device."))


class TokenDouble(SigningDevice):
    """Plays a USB token in tests: holds the key and signs the pre-hashed digest.

    ``corrupt=True`` flips one bit of the value, as a faulty device or a man in the middle
    would.
    """

    is_remote = True

    def __init__(self, key, identity: SignerIdentity, *, corrupt: bool = False) -> None:
        self._key = key
        self.identity = identity
        self.corrupt = corrupt
        self.digests: list[bytes] = []

    def sign_digest(self, digest: bytes) -> bytes:
        self.digests.append(digest)
        value = bytearray(self._key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256())))
        if self.corrupt:
            value[len(value) // 2] ^= 0x01
        return bytes(value)
