"""Keys for the demo agency: a test CA, a key and a signature image per leader, the agency's
key and seal image. The test root goes into the trust directory, so the demo's signatures
verify as trusted; nothing here is for real use."""

from __future__ import annotations

import secrets

from django.conf import settings

from documents.signing import pki
from documents.signing.images import make_seal_png, make_signature_png
from documents.signing.models import SigningKey
from documents.signing.services import install_server_key
from eoffice.models import Agency, User


def install_demo_keys(agency: Agency, signers: list[User]) -> int:
    """Create the demo PKI and keys; returns how many keys were installed."""
    test_pki = pki.build_test_pki(f"eoffice Demo {agency.short_code}")
    pki.write_pem(
        settings.EOFFICE_SIGNING_TRUST_DIR / "eoffice-demo-root.pem", test_pki.root.certificate
    )
    installed = 0
    for user in signers:
        name = user.get_full_name()
        issued = test_pki.issue_person(
            name,
            title=user.position.name if user.position else "",
            organisation=agency.name,
            uid=f"CCCD:DEMO{user.pk:06d}",
        )
        passphrase = secrets.token_urlsafe(18).encode()
        install_server_key(
            owner=SigningKey.Owner.PERSON,
            user=user,
            pkcs12_data=issued.pkcs12(passphrase),
            passphrase=passphrase,
            image=make_signature_png(name),
            name=f"demo/{user.username}",
        )
        installed += 1
    issued = test_pki.issue_agency(agency.name, uid=f"MST:DEMO-{agency.short_code}")
    passphrase = secrets.token_urlsafe(18).encode()
    install_server_key(
        owner=SigningKey.Owner.AGENCY,
        user=None,
        pkcs12_data=issued.pkcs12(passphrase),
        passphrase=passphrase,
        image=make_seal_png(agency.name),
        name="demo/agency",
    )
    return installed + 1
