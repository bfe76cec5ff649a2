from __future__ import annotations

import pytest

from tests.signatures.pki_fixtures import Keys, LoopbackTSA, build_keys


@pytest.fixture(scope="session")
def keys() -> Keys:
    return build_keys()


@pytest.fixture
def loopback_tsa(keys):
    with LoopbackTSA(keys.timestamper()) as tsa:
        yield tsa
