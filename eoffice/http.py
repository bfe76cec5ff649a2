from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from eoffice.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind ``@login_required``: its user is never anonymous.

    For type checking only (the django-stubs pattern): annotate such a view's ``request``
    with it. Nothing is checked at run time; ``@login_required`` is what guarantees it.
    """

    user: User


def is_htmx(request: HttpRequest) -> bool:
    """A partial request from HTMX (it sends ``HX-Request: true``), not a history restore."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )
