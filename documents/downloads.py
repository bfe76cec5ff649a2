"""Serving a stored upload to someone already allowed to have it."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

# Files are served as data, never as a page of ours: no scripts, no plugins but the
# browser's PDF viewer, framed only by our own pages.
INLINE_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "object-src 'self'; frame-ancestors 'self'"
)
# Chromium's PDF viewer does not run in a sandboxed document, so only downloads get one.
DOWNLOAD_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


def stored_file_response(
    file: FieldFile, *, filename: str, content_type: str, inline: bool = False
) -> FileResponse:
    """The file with its stored (detected) type, its name per RFC 6266, never sniffed."""
    response = FileResponse(
        file.open("rb"), as_attachment=not inline, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = INLINE_CSP if inline else DOWNLOAD_CSP
    response["Cache-Control"] = "private, no-store"
    return response
