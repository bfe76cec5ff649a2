"""Approval chains of outgoing drafts: templates, the steps of each draft, and delegations."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Document, DocumentType
from eoffice.models import Department, Position


class StepMode(models.TextChoices):
    SINGLE = "single", _("One approver")
    ALL = "all", _("Parallel: everyone approves")
    ANY = "any", _("Parallel: any one approves")


class ChainTemplate(models.Model):
    """An approval chain an administrator sets up for a document type and/or a department.

    The most specific active template applies first: type and department, then type, then
    department, then the default (neither).
    """

    name = models.CharField(_("name"), max_length=200)
    doc_type = models.ForeignKey(
        DocumentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document type"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafting department"),
    )
    allow_adjust = models.BooleanField(
        _("drafter may adjust"),
        default=True,
        help_text=_(
            "The drafter may leave out optional steps and add reviewers before the signing step."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("approval chain template")
        verbose_name_plural = _("approval chain templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChainTemplateStep(models.Model):
    template = models.ForeignKey(ChainTemplate, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    label = models.CharField(
        _("step"), max_length=100, help_text=_("E.g. Kiểm tra nội dung, Kiểm tra thể thức.")
    )
    mode = models.CharField(
        _("approvers"), max_length=10, choices=StepMode.choices, default=StepMode.SINGLE
    )
    is_signing = models.BooleanField(
        _("signing step"), default=False, help_text=_("The last step: its holder signs off.")
    )
    is_optional = models.BooleanField(
        _("optional"), default=False, help_text=_("The drafter may leave this step out.")
    )

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["template", "order"]
        constraints = [
            models.UniqueConstraint(fields=["template", "order"], name="chain_step_order_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.label}"


class ChainTemplateHolder(models.Model):
    """Who holds a template step: a named person, or a position in a department.

    With neither ``department`` nor a person, the position is looked up in the drafter's
    department (e.g. "Trưởng phòng of the drafter's department"). A signing step may name
    only its position: the drafter's proposed signer then holds it.
    """

    step = models.ForeignKey(ChainTemplateStep, on_delete=models.CASCADE, related_name="holders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    position = models.ForeignKey(
        Position,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("position"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
        help_text=_("Empty: the drafter's department."),
    )

    class Meta:
        verbose_name = _("approver")
        verbose_name_plural = _("approvers")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(position__isnull=False),
                name="chain_holder_person_or_position",
            )
        ]

    def __str__(self) -> str:
        if self.user_id:
            return str(self.user)
        where = str(self.department) if self.department_id else _("drafter's department")
        return f"{self.position} — {where}"


class ApprovalStep(models.Model):
    """One step of one draft's chain, in one round of submission.

    A return to the drafter ends the round; the next submission starts a new round with
    the same steps, so that the history of each round stays as it was.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Not reached yet")
        ACTIVE = "active", _("In progress")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")
        WITHDRAWN = "withdrawn", _("Recalled")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="approval_steps")
    round = models.PositiveSmallIntegerField(_("round"))
    order = models.PositiveSmallIntegerField(_("order"))
    label = models.CharField(_("step"), max_length=100)
    mode = models.CharField(
        _("approvers"), max_length=10, choices=StepMode.choices, default=StepMode.SINGLE
    )
    is_signing = models.BooleanField(_("signing step"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    # Bumped when a later approver sends the draft back to this step: only the tasks of
    # the current cycle count towards the step's approval.
    cycle = models.PositiveSmallIntegerField(default=1)
    reached_at = models.DateTimeField(_("reached at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["document", "round", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "round", "order"], name="approval_step_order_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.label}"


class ApprovalTask(models.Model):
    """One approver's part in a step: what they did, on which version, in which capacity."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Not reached yet")
        PENDING = "pending", _("Waiting for them")
        APPROVED = "approved", _("Approved")
        SIGNED = "signed", _("Signed off")
        RETURNED = "returned", _("Returned")
        FORWARDED = "forwarded", _("Forwarded")
        NOT_NEEDED = "not_needed", _("No longer needed")

    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="tasks")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approval_tasks",
        verbose_name=_("approver"),
    )
    # Set when the holder acts for someone absent (a delegation) or was forwarded the task.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    delegation = models.ForeignKey(
        "Delegation", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    forwarded_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.WAITING
    )
    cycle = models.PositiveSmallIntegerField(default=1)
    # How the holder signs (DOMAIN §b): TM., KT., Q., TL., TUQ. or nothing; set at sign-off.
    capacity = models.CharField(_("capacity"), max_length=3, blank=True)
    acted_at = models.DateTimeField(_("acted at"), null=True, blank=True)
    acted_on_version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=4000)

    OPEN_STATES = (State.PENDING,)

    class Meta:
        verbose_name = _("approval task")
        verbose_name_plural = _("approval tasks")
        ordering = ["step", "id"]
        indexes = [models.Index(fields=["holder", "state"], name="approval_task_holder_idx")]

    def __str__(self) -> str:
        return f"{self.holder} ({self.get_state_display()})"


class Capacity(models.TextChoices):
    TM = "TM", "TM."
    KT = "KT", "KT."
    Q = "Q", "Q."
    TL = "TL", "TL."
    TUQ = "TUQ", "TUQ."


class Delegation(models.Model):
    """While ``principal`` is away, steps reaching them go to ``deputy``.

    The capacity says how the deputy signs (DOMAIN §b): KT. for a deputy signing for the
    head, Q. for an acting head, TUQ. under a written, time-limited authorisation that the
    deputy cannot pass on.
    """

    class Capacity(models.TextChoices):
        KT = "KT", _("KT. — deputy signs for the head")
        Q = "Q", _("Q. — acting")
        TUQ = "TUQ", _("TUQ. — by written authorisation")

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="delegations_given",
        verbose_name=_("absent person"),
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="delegations_received",
        verbose_name=_("deputy"),
    )
    capacity = models.CharField(
        _("capacity"), max_length=3, choices=Capacity.choices, default=Capacity.KT
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reference = models.CharField(
        _("written authorisation"),
        max_length=100,
        blank=True,
        help_text=_("Number/symbol of the authorisation letter (required for TUQ.)."),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # A TUQ. authorisation is limited in scope (DOMAIN §b): the document types it covers.
    # Empty: every type (KT. and Q. only; set_absence requires a scope for TUQ.).
    doc_types = models.ManyToManyField(
        DocumentType, blank=True, related_name="+", verbose_name=_("for document types")
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("absence and deputy")
        verbose_name_plural = _("absences and deputies")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_period_valid"
            ),
            models.CheckConstraint(
                condition=~Q(principal=models.F("deputy")), name="delegation_not_to_self"
            ),
            models.CheckConstraint(
                condition=~Q(capacity="TUQ") | ~Q(reference=""),
                name="delegation_tuq_is_written",
            ),
        ]
        indexes = [models.Index(fields=["principal", "ends_on"], name="delegation_principal_idx")]

    def __str__(self) -> str:
        return (
            f"{self.principal} → {self.deputy} "
            f"({self.starts_on:%d/%m/%Y} - {self.ends_on:%d/%m/%Y})"
        )

    def covers(self, day: date) -> bool:
        return self.cancelled_at is None and self.starts_on <= day <= self.ends_on
