from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from realtime.selectors import count_unread_notices, get_last_seq


def notices(request: HttpRequest) -> dict[str, Any]:
    """The bell's count, and where the live client's replay should start."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notice_unread": count_unread_notices(user), "notice_last_seq": get_last_seq(user)}
