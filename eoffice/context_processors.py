from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from eoffice.models import Agency


def layout(request: HttpRequest) -> dict[str, Any]:
    """What the page frame needs: the agency's name for the top bar."""
    agency = Agency.objects.only("name", "short_code").first()
    return {"agency": agency}
