"""Routes of documents: directions, assignments, deadlines and the working calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from eoffice.models import Department


class CalendarDay(models.Model):
    """An exception to the Monday-to-Friday week: a public holiday, or a working Saturday."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_("Tick for a weekend day worked in exchange for a holiday."),
    )
    name = models.CharField(_("name"), max_length=150)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"


class Direction(models.Model):
    """A leader's written direction (ý kiến chỉ đạo) on an incoming document."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="directions")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("leader"),
    )
    text = models.TextField(_("direction"), max_length=4000)
    deadline = models.DateField(_("handling deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("direction")
        verbose_name_plural = _("directions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Assignment(models.Model):
    """A piece of work on a document waiting for one person or one department."""

    class Role(models.TextChoices):
        DIRECT = "direct", _("To direct")
        LEAD = "lead", _("Lead")
        COORDINATE = "coordinate", _("Coordinating")
        INFORM = "inform", _("For information")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        IN_PROGRESS = "in_progress", _("In progress")
        PASSED_ON = "passed_on", _("Passed on")
        DONE = "done", _("Done")
        CLOSED = "closed", _("Closed")

    OPEN_STATES = (State.PENDING, State.IN_PROGRESS)

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="assignments")
    direction = models.ForeignKey(
        Direction, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("person"),
    )
    assignee_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("department"),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    deadline = models.DateField(_("handling deadline"), null=True, blank=True)
    original_deadline = models.DateField(_("original deadline"), null=True, blank=True)
    note = models.TextField(_("instruction"), blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.TextField(_("result"), blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["assigned_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(assignee_user__isnull=False) | Q(assignee_department__isnull=False),
                name="assignment_has_assignee",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee_user", "state"], name="assignment_user_idx"),
            models.Index(fields=["assignee_department", "state"], name="assignment_dept_idx"),
            models.Index(fields=["document", "role", "state"], name="assignment_doc_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.assignee_label}"

    @property
    def assignee_label(self) -> str:
        if self.assignee_user_id:
            return str(self.assignee_user)
        return str(self.assignee_department)

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class DeadlineExtension(models.Model):
    """A handler's request for more time; whoever set the deadline decides."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="extensions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    previous_deadline = models.DateField(_("current deadline"), null=True)
    requested_deadline = models.DateField(_("requested deadline"))
    reason = models.TextField(_("reason"), max_length=2000)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("answer"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(state="pending"),
                name="one_pending_extension_per_assignment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requested_deadline:%d/%m/%Y} ({self.get_state_display()})"


class DeadlineReminder(models.Model):
    """A reminder that was sent: the unique row is the claim that makes it go out once."""

    class Kind(models.TextChoices):
        SOON = "soon", _("Due soon")
        TODAY = "today", _("Due today")
        OVERDUE = "overdue", _("Overdue")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    deadline = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind", "deadline"], name="reminder_once_per_deadline"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.kind} {self.deadline:%d/%m/%Y}"


# The approval chains of outgoing drafts live in their own module; importing them here
# registers them with the routing app.
from routing.approval_models import (  # noqa: E402
    ApprovalStep,
    ApprovalTask,
    ChainTemplate,
    ChainTemplateHolder,
    ChainTemplateStep,
    Delegation,
    StepMode,
)

__all__ = [
    "ApprovalStep",
    "ApprovalTask",
    "Assignment",
    "CalendarDay",
    "ChainTemplate",
    "ChainTemplateHolder",
    "ChainTemplateStep",
    "DeadlineExtension",
    "DeadlineReminder",
    "Delegation",
    "Direction",
    "StepMode",
]
