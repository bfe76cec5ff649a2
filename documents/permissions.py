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

    Three shapes, chosen by role, because what is cheap depends on how much a user sees:

    - most people see a few thousand documents: the ids come from the grant tables'
      indexes (personal and department grants, ``UNION ALL``, no join) and the documents
      are fetched by primary key; only a confidential one is tested further;
    - clerks see the whole incoming register by their role: that test comes first, so the
      grants are looked at only for the rows it does not open (confidential or outgoing);
    - leaders are granted hundreds of thousands of documents: walking the newest documents
      and testing each against the grant indexes finds a page sooner than a set does.
    """
    documents = Document.objects.all()
    if not user.is_authenticated or not user.is_active:
        return documents.none()
    personal_ids = _personal_grants(user).values("content_object_id")
    department_ids = _department_grants(user).values("content_object_id")
    if sees_most_documents(user):
        # Tested row by row, by index probe, and only for the rows read: the redundant
        # ``>=`` keeps PostgreSQL from turning each EXISTS into a hash of all the user's
        # grants (300,000 for a chairman), which it would build before the first row.
        personal = _personal_grants(user).filter(
            content_object=OuterRef("pk"), content_object_id__gte=OuterRef("pk")
        )
        department = _department_grants(user).filter(
            content_object=OuterRef("pk"), content_object_id__gte=OuterRef("pk")
        )
        condition = Exists(personal) | (Q(secrecy=Secrecy.NONE) & Exists(department))
        if user.is_clerk:
            # Register keepers: the incoming register, and outgoing documents from sign-off
            # on (drafts are not theirs).
            condition = (
                Q(direction=Document.Direction.INCOMING, secrecy=Secrecy.NONE)
                | Q(
                    direction=Document.Direction.OUTGOING,
                    secrecy=Secrecy.NONE,
                    state__in=CLERK_OUTGOING_STATES,
                )
                | condition
            )
        return documents.filter(condition)
    # Department grants never open a confidential document: of the granted ids, a
    # confidential one is kept only when the grant is personal.
    return documents.filter(
        Q(pk__in=personal_ids.union(department_ids, all=True)),
        Q(secrecy=Secrecy.NONE) | Q(pk__in=personal_ids),
    )


def sees_most_documents(user: User) -> bool:
    """Clerks and leaders: their lists walk the newest documents of the whole register
    (``visible_documents``), and are best counted and paged in that order too."""
    return bool(user.is_authenticated and (user.is_clerk or user.is_leader))


def _personal_grants(user: User) -> QuerySet[DocumentUserObjectPermission]:
    return DocumentUserObjectPermission.objects.filter(
        user=user, permission__codename="view_document"
    )


def _department_grants(user: User) -> QuerySet[DocumentGroupObjectPermission]:
    """Grants to the groups of ``user``: their department's, and any group they are in."""
    groups = Department.objects.filter(members=user).values("group_id")
    groups = groups.union(User.groups.through.objects.filter(user=user).values("group_id"))
    return DocumentGroupObjectPermission.objects.filter(
        group_id__in=groups, permission__codename="view_document"
    )


def granted_document_ids(user: User) -> QuerySet[Any]:
    """Ids of the documents granted to ``user``, personally or through their department
    (department grants never open a confidential document)."""
    personal = _personal_grants(user).values("content_object_id")
    department = (
        _department_grants(user)
        .filter(content_object__secrecy=Secrecy.NONE)
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
