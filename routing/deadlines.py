"""The deadline state of a piece of work, as every screen and report shows it."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeadlineState(models.TextChoices):
    NONE = "none", _("No deadline")
    IN_TIME = "in_time", _("In time")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    DONE_ON_TIME = "done_on_time", _("Completed on time")
    DONE_LATE = "done_late", _("Completed late")


def deadline_state(
    deadline: date | None, completed_at: datetime | None = None, today: date | None = None
) -> DeadlineState:
    """Work done on the deadline day is on time; due soon = due within the next N days."""
    if completed_at is not None:
        if deadline is None or timezone.localdate(completed_at) <= deadline:
            return DeadlineState.DONE_ON_TIME
        return DeadlineState.DONE_LATE
    if deadline is None:
        return DeadlineState.NONE
    today = today or timezone.localdate()
    if deadline < today:
        return DeadlineState.OVERDUE
    if (deadline - today).days <= settings.EOFFICE_DUE_SOON_DAYS:
        return DeadlineState.DUE_SOON
    return DeadlineState.IN_TIME
