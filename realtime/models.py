"""Stored notices: the record of what reached whom. The websocket push is only a hint."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Document


class Notice(models.Model):
    """Something that concerns one person: a recipient, a kind, a target and a short payload.

    ``seq`` counts each recipient's notices from 1 without gaps, in commit order (it is
    taken from the recipient's locked counter in the same transaction), so a client that
    says "I have everything up to 41" can be given exactly what it missed.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    seq = models.PositiveIntegerField()
    kind = models.CharField(_("kind"), max_length=40)
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-seq"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "seq"], name="notice_recipient_seq"),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "read_at"],
                name="notice_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}#{self.seq} {self.kind}"


class NoticeCounter(models.Model):
    """The last notice number of each user; its row lock orders their notices."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.last_seq}"


# Messaging lives in its own module; importing it here registers its models with the app.
from realtime.messaging_models import (  # noqa: E402
    Conversation,
    Membership,
    Message,
    MessageAttachment,
)

__all__ = [
    "Conversation",
    "Membership",
    "Message",
    "MessageAttachment",
    "Notice",
    "NoticeCounter",
]
