"""Who may read and write which conversation: one place, set-based, in SQL.

A direct or group conversation is open to the people with a membership row. A department
conversation is open to the active users whose ``department`` is that department now: a
person moved to another department loses the old conversation and gains the new one at
once, with nothing to copy. Every conversation id that came from a user goes through
``get_conversation_for_user``, which answers 404 alike for "does not exist" and "not yours".
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from eoffice.models import User
from realtime.messaging_models import Conversation, Membership

Kind = Conversation.Kind


def visible_conversations(user: User) -> QuerySet[Conversation]:
    """Conversations ``user`` may read and post in, as one SQL filter."""
    conversations = Conversation.objects.all()
    if not user.is_authenticated or not user.is_active:
        return conversations.none()
    member = Membership.objects.filter(conversation=OuterRef("pk"), user=user)
    # Q & Exists is a Q at run time; the stubs type Q.__and__ for a Q operand only.
    condition: Q = Q(kind__in=[Kind.DIRECT, Kind.GROUP]) & Exists(member)  # type: ignore[assignment]
    if user.department_id is not None:
        condition |= Q(kind=Kind.DEPARTMENT, department_id=user.department_id)
    return conversations.filter(condition)


def get_conversation_for_user(user: User, pk: int | str) -> Conversation:
    try:
        return visible_conversations(user).select_related("department").get(pk=pk)
    except (Conversation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def conversation_members(conversation: Conversation) -> QuerySet[User]:
    """The people who may read ``conversation`` now (its audience for pushes and receipts)."""
    if conversation.kind == Kind.DEPARTMENT:
        # A department conversation always has its department (conversation_department_kind).
        assert conversation.department_id is not None
        return User.objects.filter(department_id=conversation.department_id, is_active=True)
    return User.objects.filter(conversation_memberships__conversation=conversation, is_active=True)
