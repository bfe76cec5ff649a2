"""Internal messaging: conversations, who belongs to them, messages and their files.

Who may read a conversation is decided in ``realtime.permissions``: a membership row for a
direct or group conversation, the user's current department for a department conversation.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eoffice.models import Department

MESSAGE_MAX_LENGTH = 4000


class Conversation(models.Model):
    """A thread of messages between two people, a named group, or a whole department.

    ``last_seq`` numbers the conversation's messages from 1 without gaps; it is bumped by an
    UPDATE that locks the row until the message commits, so numbers follow commit order and
    "read up to 41" means exactly the messages 1..41.
    """

    class Kind(models.TextChoices):
        DIRECT = "direct", pgettext_lazy("conversation", "Direct")
        GROUP = "group", pgettext_lazy("conversation", "Group")
        DEPARTMENT = "department", pgettext_lazy("conversation", "Department")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=150, blank=True)
    # One conversation per department; its members are the department's users at any moment.
    department = models.OneToOneField(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversation",
        verbose_name=_("department"),
    )
    # "<smaller user id>:<larger user id>": one direct conversation per pair of people.
    direct_key = models.CharField(max_length=41, null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_seq = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="department", department__isnull=False)
                    | (~models.Q(kind="department") & models.Q(department__isnull=True))
                ),
                name="conversation_department_kind",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="direct", direct_key__isnull=False)
                    | (~models.Q(kind="direct") & models.Q(direct_key__isnull=True))
                ),
                name="conversation_direct_key_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["-last_message_at"], name="conversation_recent_idx"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.DEPARTMENT and self.department_id:
            return str(self.department)
        return self.title or f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_direct(self) -> bool:
        return self.kind == self.Kind.DIRECT

    @property
    def is_group(self) -> bool:
        return self.kind == self.Kind.GROUP

    @property
    def is_department(self) -> bool:
        return self.kind == self.Kind.DEPARTMENT


class Membership(models.Model):
    """A person's place in a conversation and how far they have read it.

    For direct and group conversations the row is what gives access. For a department
    conversation access follows ``User.department``; the row, created when the person first
    reads or posts, only holds their read position (a stale row of someone who moved to
    another department gives nothing).
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_memberships"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    last_read_seq = models.PositiveIntegerField(_("read up to"), default=0)
    last_read_at = models.DateTimeField(_("last read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("conversation member")
        verbose_name_plural = _("conversation members")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["user", "conversation"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    """One message; rows are only ever added."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    text = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH, blank=True)
    # Accent-free lower-case copy of the text for search (TRAPS.md).
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # People of the conversation named with "@username"; each got a "mention" notice.
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"


def message_attachment_path(instance: MessageAttachment, filename: str) -> str:
    # Generated names only: the user's file name never reaches the storage (TRAPS.md).
    today = date.today()  # noqa: DTZ011 - a directory bucket, any clock will do
    return f"messages/{today:%Y/%m}/{uuid.uuid4().hex}"


class MessageAttachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=message_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        verbose_name = _("message attachment")
        verbose_name_plural = _("message attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name
