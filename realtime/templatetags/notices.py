from __future__ import annotations

from django import template

from realtime.kinds import NOTICE_LABELS
from realtime.models import Notice

register = template.Library()


@register.filter
def notice_label(notice: Notice) -> str:
    return str(NOTICE_LABELS.get(notice.kind, notice.kind))
