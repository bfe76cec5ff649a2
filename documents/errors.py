from __future__ import annotations


class DocumentError(Exception):
    """A refused action of the documents app; the message is for the user."""
