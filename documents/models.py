"""Documents, their registers and numbers, attachments and the append-only history."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class DocumentType(models.Model):
    """One of the administrative document types of Decree 30, Art. 7 (DOMAIN §b)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    abbreviation = models.CharField(
        _("abbreviation"),
        max_length=10,
        blank=True,
        help_text=_("Used in the symbol, e.g. QĐ; empty for công văn and thư công."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Urgency(models.IntegerChoices):
    # Integers are edXML Priority values (DOMAIN §b).
    NORMAL = 0, _("Normal")
    URGENT = 1, _("Urgent")
    VERY_URGENT = 2, _("Very urgent")
    IMMEDIATE = 3, _("Immediate")
    IMMEDIATE_TIMED = 4, _("Immediate, timed")


class Secrecy(models.IntegerChoices):
    NONE = 0, _("Not confidential")
    CONFIDENTIAL = 1, _("Confidential")
    SECRET = 2, _("Secret")
    TOP_SECRET = 3, _("Top secret")


class Register(models.Model):
    """A yearly register (sổ) whose counter gives gap-free numbers."""

    class Kind(models.TextChoices):
        INCOMING = "incoming", _("Incoming documents")
        OUTGOING = "outgoing", _("Outgoing documents")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    is_confidential = models.BooleanField(_("confidential"), default=False)
    # Set only for an outgoing series kept per document type (Agency.outgoing_series).
    doc_type = models.ForeignKey(
        DocumentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document type"),
    )
    name = models.CharField(_("name"), max_length=200)
    last_number = models.PositiveIntegerField(_("last number used"), default=0)
    is_locked = models.BooleanField(
        _("locked"),
        default=False,
        help_text=_("A locked register takes no new entries."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        ordering = ["-year", "kind", "is_confidential"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "is_confidential"],
                condition=models.Q(doc_type__isnull=True),
                name="register_kind_year_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "year", "is_confidential", "doc_type"],
                condition=models.Q(doc_type__isnull=False),
                name="register_kind_year_type_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    """An official document, incoming or outgoing, with its register entry.

    An outgoing document starts as a draft without register, number or date; issuing gives
    it all three. An incoming document made by distributing one of ours points to it
    through ``source_document``.
    """

    class Direction(models.TextChoices):
        INCOMING = "incoming", _("Incoming")
        OUTGOING = "outgoing", _("Outgoing")

    class State(models.TextChoices):
        # Incoming flow (DOMAIN §c); the allowed moves are routing.workflow.INCOMING_TRANSITIONS.
        REGISTERED = "registered", _("Registered")
        AWAITING_DIRECTION = "awaiting_direction", _("Awaiting direction")
        DIRECTED = "directed", _("Directed")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        RETURNED = "returned", _("Returned to the clerk")
        CANCELLED = "cancelled", _("Registration cancelled")
        # Outgoing flow (DOMAIN §c); the chain's moves are routing.approval_workflow.
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        AWAITING_SIGNATURE = "awaiting_signature", _("Awaiting signature")
        REVISION = "revision", _("Returned for revision")
        SIGNED = "signed", _("Signed, awaiting issue")
        ISSUED = "issued", _("Issued")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        ABANDONED = "abandoned", _("Draft abandoned")

    class ReceiptMethod(models.TextChoices):
        PAPER = "paper", _("On paper")
        ELECTRONIC = "electronic", _("Electronic")

    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.INCOMING
    )
    # Register, number and date are empty while an outgoing document is a draft.
    register = models.ForeignKey(
        Register,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("register"),
        db_index=False,  # the unique (register, register_number) leads with it
    )
    register_number = models.PositiveIntegerField(_("arrival number"), null=True, blank=True)
    received_at = models.DateTimeField(_("arrival date"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    sender_name = models.CharField(_("issuing body"), max_length=255)
    # Indexed by trigrams on PostgreSQL (migration 0007), which serve `=` as well as the
    # register's "issuing body" substring filter; no btree (see Meta.indexes).
    sender_key = models.CharField(max_length=255, editable=False, default="")
    number_symbol = models.CharField(_("number and symbol"), max_length=60, blank=True)
    number_symbol_key = models.CharField(max_length=60, editable=False)
    issued_on = models.DateField(_("document date"), null=True, blank=True)
    doc_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("document type")
    )
    summary = models.TextField(_("summary"), max_length=1000)
    signer_name = models.CharField(_("signer"), max_length=150, blank=True)
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.NORMAL
    )
    secrecy = models.PositiveSmallIntegerField(
        _("confidentiality"), choices=Secrecy.choices, default=Secrecy.NONE
    )
    page_count = models.PositiveIntegerField(_("page count"), null=True, blank=True)
    deadline = models.DateField(_("handling deadline"), null=True, blank=True)
    receipt_method = models.CharField(
        _("received"), max_length=12, choices=ReceiptMethod.choices, default=ReceiptMethod.PAPER
    )
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    state = models.CharField(
        _("state"), max_length=30, choices=State.choices, default=State.REGISTERED
    )
    # Bumped by every transition: an action names the version it was shown, so that of two
    # people acting on the same step only the first succeeds.
    version = models.PositiveIntegerField(default=1)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    result_summary = models.TextField(_("handling result"), blank=True)
    reply_number_symbol = models.CharField(
        _("number and symbol of the reply"), max_length=60, blank=True
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # Outgoing documents: who drafted it, for whom, and how it was signed and issued.
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="drafts",
        verbose_name=_("drafter"),
        db_index=False,  # partial index in Meta.indexes
    )
    drafting_department = models.ForeignKey(
        "eoffice.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafting department"),
        db_index=False,  # partial index in Meta.indexes
    )
    proposed_signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed signer"),
        db_index=False,  # partial index in Meta.indexes
    )
    in_reply_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("in reply to"),
        db_index=False,  # partial index in Meta.indexes
    )
    source_document = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="distributed_copies",
        verbose_name=_("sent by us as"),
        db_index=False,  # partial index in Meta.indexes
    )
    draft_version = models.PositiveIntegerField(_("draft version"), default=0)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by"),
        db_index=False,  # partial index in Meta.indexes
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    # The authority lines above the signer's name, e.g. "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH".
    signer_capacity = models.CharField(_("signing capacity"), max_length=300, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    copies = models.PositiveSmallIntegerField(_("number of copies"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)
    # Accent-free lower-case copy of summary, number/symbol and sender for search (TRAPS.md).
    search_text = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "register_number"], name="document_register_number_unique"
            ),
        ]
        # Every index is written under the register's counter lock when a document is
        # registered (documents.numbering), so each one must serve a query: no btree that
        # another index's leading column already covers (the unique constraint serves
        # `register = …` and its order either way; document_drafter_idx serves
        # `drafter = …`), and the references that incoming documents never fill are
        # indexed only where they are filled (partial), for their lookups and for
        # PROTECT's checks. On PostgreSQL the search indexes come from migrations (0004,
        # 0007, 0013): trigrams of search_text and sender_key, and the stored tsvector.
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="document_received_idx"),
            models.Index(fields=["state"], name="document_state_idx"),
            # `=`, `IN` and `LIKE 'prefix%'` (the search box's number/symbol).
            models.Index(
                fields=["number_symbol_key"],
                name="document_number_symbol_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(
                fields=["drafter", "-registered_at"],
                condition=models.Q(drafter__isnull=False),
                name="document_drafter_idx",
            ),
            *(
                models.Index(
                    fields=[field],
                    condition=models.Q(**{f"{field}__isnull": False}),
                    name=name,
                )
                for field, name in (
                    ("drafting_department", "document_drafting_dept_idx"),
                    ("proposed_signer", "document_proposed_signer_idx"),
                    ("in_reply_to", "document_in_reply_to_idx"),
                    ("source_document", "document_source_document_idx"),
                    ("signed_by", "document_signed_by_idx"),
                )
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number_symbol} — {self.summary[:80]}"

    @property
    def register_number_display(self) -> str:
        """Numbers below 10 take a leading zero (DOMAIN §e)."""
        if self.register_number is None:
            return ""
        return f"{self.register_number:02d}"

    @property
    def is_outgoing(self) -> bool:
        return self.direction == self.Direction.OUTGOING

    @property
    def is_confidential(self) -> bool:
        return self.secrecy != Secrecy.NONE

    @property
    def is_cancelled(self) -> bool:
        return self.state == self.State.CANCELLED


# A grant's place in its holder's incoming register: the document's arrival time when the
# grant opens an incoming document (a department's grant never opens a confidential one),
# NULL otherwise. PostgreSQL keeps it (triggers of migration 0015, on the grant's insert
# and on a change of the document's arrival, direction or secrecy), so that a register
# read from grants finds its newest rows by index (``documents.permissions.GrantedRegister``);
# on SQLite it stays empty and the register takes the general path.


class DocumentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)
    register_order = models.DateTimeField(null=True, editable=False)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [
            models.Index(fields=["user", "permission", "content_object"], name="doc_user_perm_idx"),
            models.Index(
                fields=["user", "permission", "register_order", "content_object"],
                condition=models.Q(register_order__isnull=False),
                name="doc_user_register_idx",
            ),
        ]


class DocumentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)
    register_order = models.DateTimeField(null=True, editable=False)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [
            models.Index(
                fields=["group", "permission", "content_object"], name="doc_group_perm_idx"
            ),
            models.Index(
                fields=["group", "permission", "register_order", "content_object"],
                condition=models.Q(register_order__isnull=False),
                name="doc_group_register_idx",
            ),
        ]


def attachment_path(instance: Attachment, filename: str) -> str:
    # Generated names only: the user's file name never reaches the storage (TRAPS.md).
    today = date.today()  # noqa: DTZ011 - a directory bucket, any clock will do
    return f"attachments/{today:%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document file")
        RESULT = "result", _("Handling result")
        DRAFT = "draft", _("Draft")
        APPENDIX = "appendix", _("Appendix")
        FINAL = "final", _("Issued file")

    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("document")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DOCUMENT)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField("SHA-256", max_length=64)
    # The draft version this file belongs to (drafts of outgoing documents only).
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class DocumentEvent(models.Model):
    """One line of a document's history. Rows are only ever added."""

    class Action(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        DUPLICATE_CONFIRMED = "duplicate_confirmed", _("Registered despite a possible duplicate")
        ATTACHMENT_ADDED = "attachment_added", _("Attached a file")
        DOWNLOADED = "downloaded", _("Downloaded a file")
        GRANTED = "granted", _("Granted access")
        SUBMITTED = "submitted", _("Submitted to a leader")
        DIRECTED = "directed", _("Gave a direction")
        RETURNED = "returned", _("Returned to the clerk")
        PASSED_ON = "passed_on", _("Passed on for handling")
        READ = "read", _("Read")
        PART_DONE = "part_done", _("Completed their part")
        COMPLETED = "completed", _("Completed handling")
        EXTENSION_REQUESTED = "extension_requested", _("Asked for an extension")
        EXTENSION_GRANTED = "extension_granted", _("Granted an extension")
        EXTENSION_REFUSED = "extension_refused", _("Refused an extension")
        REOPENED = "reopened", _("Reopened")
        CANCELLED = "cancelled", _("Cancelled the registration")
        COMMENTED = "commented", _("Commented")
        DRAFT_CREATED = "draft_created", _("Created the draft")
        DRAFT_EDITED = "draft_edited", _("Changed the draft's details")
        VERSION_ADDED = "version_added", _("Uploaded a new version")
        DRAFT_SUBMITTED = "draft_submitted", _("Submitted for approval")
        STEP_APPROVED = "step_approved", _("Approved")
        STEP_RETURNED = "step_returned", _("Returned for revision")
        STEP_FORWARDED = "step_forwarded", _("Forwarded to another approver")
        DRAFT_RECALLED = "draft_recalled", _("Recalled the draft")
        SIGNED_OFF = "signed_off", _("Signed off")
        ISSUED = "issued", _("Numbered and issued")
        DISTRIBUTED = "distributed", _("Sent to internal recipients")
        RECEIVED = "received", _("Received from within the agency")
        WITHDRAWN = "withdrawn", _("Withdrew the issued document")
        DRAFT_ABANDONED = "draft_abandoned", _("Abandoned the draft")
        REMINDED = "reminded", _("Sent a reminder about overdue handling")

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    from_state = models.CharField(
        _("from state"), max_length=30, blank=True, choices=Document.State.choices
    )
    to_state = models.CharField(
        _("to state"), max_length=30, blank=True, choices=Document.State.choices
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["document", "created_at"], name="event_document_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("history entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("history entries are append-only")


class NumberReservation(models.Model):
    """A number of the outgoing register held back for a document signed on paper.

    Taking it moves the counter like an issue does; it is then either used by one issued
    document or released explicitly, and it stays in the register either way (DOMAIN §e).
    """

    class State(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        USED = "used", _("Used")
        RELEASED = "released", _("Released, not used")

    register = models.ForeignKey(
        Register, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("register")
    )
    number = models.PositiveIntegerField(_("number"))
    purpose = models.CharField(_("for"), max_length=500)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RESERVED
    )
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reserved_at = models.DateTimeField(default=timezone.now)
    document = models.OneToOneField(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reservation",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(_("reason for releasing"), blank=True)

    class Meta:
        verbose_name = _("reserved number")
        verbose_name_plural = _("reserved numbers")
        ordering = ["register", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "number"], name="reservation_register_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number:02d} ({self.get_state_display()})"

    @property
    def number_display(self) -> str:
        return f"{self.number:02d}"


class OutgoingRecipient(models.Model):
    """One line of an outgoing document's "Nơi nhận" (DOMAIN §c.3)."""

    class Group(models.TextChoices):
        EXECUTE = "execute", _("To execute")
        INFORM = "inform", _("To inform")
        FILE = "file", _("To file")

    class Delivery(models.TextChoices):
        WAITING = "waiting", _("Waiting for the issue")
        DELIVERED = "delivered", _("Delivered")
        TO_SEND = "to_send", _("To be sent")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="recipients")
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)
    department = models.ForeignKey(
        "eoffice.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    external_name = models.CharField(_("external agency"), max_length=200, blank=True)
    external_code = models.CharField(_("agency code"), max_length=13, blank=True)
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.WAITING
    )
    # The incoming document made for this recipient when the document was issued.
    delivered_document = models.OneToOneField(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delivered_from",
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(department__isnull=False, user__isnull=True, external_name="")
                    | models.Q(department__isnull=True, user__isnull=False, external_name="")
                    | (
                        models.Q(department__isnull=True, user__isnull=True)
                        & ~models.Q(external_name="")
                    )
                ),
                name="recipient_is_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.department_id:
            return str(self.department)
        if self.user_id:
            return str(self.user)
        return self.external_name

    @property
    def is_internal(self) -> bool:
        return self.external_name == ""


# Background register exports live in their own module; importing it here registers the model.
from documents.export_models import ExportJob  # noqa: E402, F401
