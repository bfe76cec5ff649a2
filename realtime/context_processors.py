from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from realtime.selectors import notice_bell


def notices(request: HttpRequest) -> dict[str, Any]:
    """The bell's count, and where the live client's replay should start."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    unread, last_seq = notice_bell(user)
    return {"notice_unread": unread, "notice_last_seq": last_seq}
