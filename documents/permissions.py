"""Who may see which document: one place, set-based, in SQL.

A user sees a document when a grant reaches them: a personal grant, or a grant to their
department (a guardian group permission on the department's group). Clerks see the whole
incoming register and the outgoing documents from sign-off on. A draft is seen by its
drafter and by each approver once the chain reaches them (personal grants given by
``routing.approvals``). Confidential documents are seen only through personal grants.
Every lookup of an id that came from a user goes through ``get_document_for_user``, which
answers 404 alike for "does not exist" and "not yours".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from guardian.shortcuts import assign_perm

from documents.models import (
    Document,
    DocumentGroupObjectPermission,
    DocumentUserObjectPermission,
    Secrecy,
)
from eoffice.models import Department, User

VIEW_DOCUMENT = "documents.view_document"
# Outgoing documents the clerks keep in the outgoing register (drafts are not theirs).
CLERK_OUTGOING_STATES = (
    Document.State.SIGNED,
    Document.State.ISSUED,
    Document.State.WITHDRAWN,
)


def visible_documents(user: User) -> QuerySet[Document]:
    """Documents ``user`` may see, as one SQL filter (no per-row checks).

    The granted ids are one UNION of the user's personal grants and their departments'
    grants, read from the grant tables' indexes; a per-document EXISTS would make the
    database test every document of the register (seconds at a million documents).
    """
    documents = Document.objects.all()
    if not user.is_authenticated or not user.is_active:
        return documents.none()
    if user.is_clerk or user.is_leader:
        # Someone who sees most of the register (a leader, a clerk): walking the newest
        # documents and probing the grant indexes finds a page sooner than a set of
        # hundreds of thousands of ids does.
        personal = DocumentUserObjectPermission.objects.filter(
            content_object=OuterRef("pk"), user=user, permission__codename="view_document"
        )
        department = DocumentGroupObjectPermission.objects.filter(
            content_object=OuterRef("pk"), permission__codename="view_document"
        ).filter(Q(group__department__members=user) | Q(group__user=user))
        condition = Exists(personal) | (Q(secrecy=Secrecy.NONE) & Exists(department))
    else:
        condition = Q(pk__in=granted_document_ids(user))
    if user.is_clerk:
        # Register keepers: the incoming register, and outgoing documents from sign-off on.
        condition |= Q(direction=Document.Direction.INCOMING, secrecy=Secrecy.NONE) | Q(
            direction=Document.Direction.OUTGOING,
            secrecy=Secrecy.NONE,
            state__in=CLERK_OUTGOING_STATES,
        )
    return documents.filter(condition)


def granted_document_ids(user: User) -> QuerySet[Any]:
    """Ids of the documents granted to ``user``, personally or through their department
    (department grants never open a confidential document)."""
    personal = DocumentUserObjectPermission.objects.filter(
        user=user, permission__codename="view_document"
    ).values("content_object_id")
    department = (
        DocumentGroupObjectPermission.objects.filter(
            permission__codename="view_document", content_object__secrecy=Secrecy.NONE
        )
        .filter(Q(group__department__members=user) | Q(group__user=user))
        .values("content_object_id")
    )
    return personal.union(department)


def get_document_for_user(user: User, pk: int | str) -> Document:
    try:
        return visible_documents(user).select_related("doc_type", "register").get(pk=pk)
    except (Document.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def user_can_view(user: User, document: Document) -> bool:
    return visible_documents(user).filter(pk=document.pk).exists()


def grant_view_to_user(document: Document, user: User) -> bool:
    """Grant ``user`` the right to see ``document``; False when they already had it."""
    if DocumentUserObjectPermission.objects.filter(
        content_object=document, user=user, permission__codename="view_document"
    ).exists():
        return False
    assign_perm(VIEW_DOCUMENT, user, document)
    return True


def grant_view_to_department(document: Document, department: Department) -> list[str]:
    """Grant a department; for a confidential document only its heads get personal grants.

    Returns the names of who received a new grant, for the history.
    """
    if document.secrecy != Secrecy.NONE:
        return [
            str(head) for head in department_heads(department) if grant_view_to_user(document, head)
        ]
    if DocumentGroupObjectPermission.objects.filter(
        content_object=document,
        group_id=department.group_id,
        permission__codename="view_document",
    ).exists():
        return []
    assign_perm(VIEW_DOCUMENT, department.group, document)
    return [str(department)]


def department_heads(department: Department) -> QuerySet[User]:
    return User.objects.filter(department=department, is_active=True, roles__code="department_head")
