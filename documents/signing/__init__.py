"""Digital signatures (ký số) under Decree 30/2020: preparing, signing, sealing, verifying.

The pure PDF modules (``pki``, ``fields``, ``signers``, ``sign``, ``verify``) know nothing of
Django models; ``services`` ties them to documents, keys and stored verification results.
See ``docs`` in the README and ../shared/SIGNATURES.md for the design this follows.
"""
