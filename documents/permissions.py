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

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

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


def visible_documents(user: User, *, counting: bool = False) -> QuerySet[Document]:
    """Documents ``user`` may see, as one SQL filter (no per-row checks).

    Three shapes, chosen by role, because what is cheap depends on how much a user sees:

    - most people see a few thousand documents: the ids come from the grant tables'
      indexes (personal and department grants, ``UNION ALL``, no join) and the documents
      are fetched by primary key; only a confidential one is tested further;
    - clerks see the whole incoming register by their role: that test comes first, so the
      grants are looked at only for the rows it does not open (confidential or outgoing);
    - leaders are granted hundreds of thousands of documents: walking the newest documents
      and testing each against the grant indexes finds a page sooner than a set does.

    ``counting``: the rows will all be read (the dashboard's aggregates over a period),
    not walked for a page; then the grants as a set (hashed once) beat a probe per row
    even for a leader: 30,000 documents of a year cost 0.8 s of probes each query. The
    rows are the same either way.
    """
    documents = Document.objects.all()
    if not user.is_authenticated or not user.is_active:
        return documents.none()
    if sees_most_documents(user) and not counting:
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
            condition = _clerk_register() | condition
        return documents.filter(condition)
    # Department grants never open a confidential document: of the granted ids, a
    # confidential one is kept only when the grant is personal.
    personal_ids = _personal_grants(user).values("content_object_id")
    department_ids = _department_grants(user).values("content_object_id")
    granted = Q(pk__in=personal_ids.union(department_ids, all=True)) & (
        Q(secrecy=Secrecy.NONE) | Q(pk__in=personal_ids)
    )
    if user.is_clerk:
        granted |= _clerk_register()
    return documents.filter(granted)


def _clerk_register() -> Q:
    """What register keepers see by their role: the incoming register, and outgoing
    documents from sign-off on (drafts are not theirs); confidential ones by grant only."""
    return Q(direction=Document.Direction.INCOMING, secrecy=Secrecy.NONE) | Q(
        direction=Document.Direction.OUTGOING,
        secrecy=Secrecy.NONE,
        state__in=CLERK_OUTGOING_STATES,
    )


def sees_most_documents(user: User) -> bool:
    """Clerks and leaders: their lists walk the newest documents of the whole register
    (``visible_documents``), and are best counted and paged in that order too."""
    return bool(user.is_authenticated and (user.is_clerk or user.is_leader))


# Grants name the permission by its id, not by a join on its codename: the join hid from
# PostgreSQL which of 168 permissions it was, and it guessed a median user's 4,800 grants
# at 94 rows (bench, issue 5), then rescanned them once per matching document.


def _personal_grants(user: User) -> QuerySet[DocumentUserObjectPermission]:
    return DocumentUserObjectPermission.objects.filter(
        user=user, permission_id=view_permission_id()
    )


def _department_grants(user: User) -> QuerySet[DocumentGroupObjectPermission]:
    """Grants to the groups of ``user``: their department's, and any group they are in."""
    return _group_grants(group_id__in=_group_ids(user))


def _group_grants(**groups: Any) -> QuerySet[DocumentGroupObjectPermission]:
    """View grants to the groups that ``groups`` (a lookup on ``group_id``) names."""
    return DocumentGroupObjectPermission.objects.filter(
        permission_id=view_permission_id(), **groups
    )


def _group_ids(user: User) -> QuerySet[Any]:
    """Ids of the groups of ``user``: their department's, and any group they are in."""
    department = Department.objects.filter(members=user).values_list("group_id", flat=True)
    others = User.groups.through.objects.filter(user=user).values_list("group_id", flat=True)
    return department.order_by().union(others).order_by()


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


class GrantedRegister:
    """The incoming register of a user who sees it through grants (not a clerk or a
    leader), newest arrival first, read from the grants themselves.

    Each grant row carries its document's arrival time when it opens an incoming document
    (``register_order``, kept by PostgreSQL: migration 0015), indexed with the grant. A
    page is then the newest grants of the person and of their groups, read by index, with
    no document touched; the general path probes every granted document (~4,800 for a
    median user at a million documents: 25 ms) to sort them. Same rows, same order
    (arrival, then id, descending) as ``visible_documents`` restricted to incoming.

    Filters: ``arrived_from`` / ``arrived_before`` bound the walk on the grants' own index
    (the arrival is what they keep); ``matching`` keeps only the documents of a queryset
    (the other filters, a search for common words), tested one by one as the grants are
    walked newest first, until the page, or the count's cap, is found: a tenth of a median
    user's documents for "ngân sách", where the general path tests them all, then sorts.
    PostgreSQL only: ``for_user`` says None elsewhere.
    """

    def __init__(
        self,
        user: User,
        matching: QuerySet[Document] | None = None,
        *,
        arrived_from: datetime | None = None,
        arrived_before: datetime | None = None,
    ) -> None:
        self.user = user
        self.matching = matching
        self.arrived_from = arrived_from
        self.arrived_before = arrived_before

    @classmethod
    def for_user(
        cls, user: User, matching: QuerySet[Document] | None = None, **arrival: datetime | None
    ) -> GrantedRegister | None:
        if connection.vendor != "postgresql" or not user.is_authenticated:
            return None
        if not user.is_active or sees_most_documents(user):
            return None
        return cls(user, matching, **arrival)

    def _sources(self) -> list[QuerySet[Any]]:
        """The grants that open the register: the person's, then each group's (one source
        per group, by its id: under ``group_id IN (subquery)`` PostgreSQL cannot read the
        groups' grants in order, and sorts them all, testing every document first)."""
        sources: list[QuerySet[Any]] = [
            _personal_grants(self.user).filter(register_order__isnull=False)
        ]
        sources += [
            _group_grants(group_id=group_id).filter(register_order__isnull=False)
            for group_id in self._group_ids
        ]
        if self.arrived_from is not None:
            sources = [grants.filter(register_order__gte=self.arrived_from) for grants in sources]
        if self.arrived_before is not None:
            sources = [grants.filter(register_order__lt=self.arrived_before) for grants in sources]
        if self.matching is not None:
            matching = self.matching.order_by().values("pk")
            sources = [grants.filter(content_object_id__in=matching) for grants in sources]
        return sources

    @functools.cached_property
    def _group_ids(self) -> list[int]:
        return sorted(_group_ids(self.user))

    def ids(self, after: Sequence[Any] | None, *, forward: bool, limit: int) -> list[Any]:
        """Ids of up to ``limit`` documents in register order from the key ``after``
        (arrival, id) on, excluded (from the start when None); newest first, or oldest
        first when not ``forward`` (a "Previous" page)."""
        if forward:
            order = ("-register_order", "-content_object_id")
            beyond = "lt"
        else:
            order = ("register_order", "content_object_id")
            beyond = "gt"
        parts = []
        for grants in self._sources():
            if after is not None:
                arrival, pk = after
                grants = grants.filter(
                    Q(**{f"register_order__{beyond}": arrival})
                    | Q(register_order=arrival, **{f"content_object_id__{beyond}": pk})
                )
            parts.append(
                grants.order_by(*order).values_list("register_order", "content_object_id")[:limit]
            )
        # Each source's first ``limit`` rows hold the union's first ``limit`` distinct ones.
        rows = set(parts[0].union(*parts[1:], all=True)) if len(parts) > 1 else set(parts[0])
        return [pk for _arrival, pk in sorted(rows, reverse=forward)][:limit]

    def first_page(self, limit: int, cap: int) -> tuple[list[Any], int]:
        """The ids of the first ``limit`` documents, and the count up to ``cap + 1``."""
        if self.matching is None:
            return self.ids(None, forward=True, limit=limit), self.count(cap)
        # One walk: the documents are tested once, for the page and the count together.
        ids = self.ids(None, forward=True, limit=max(limit, cap + 1))
        return ids[:limit], len(ids)

    def count(self, cap: int) -> int:
        """How many documents the register holds, counted up to ``cap + 1``."""
        if self.matching is not None:
            # The first ``cap + 1`` matches, walked in order: a common word stops early.
            return len(self.ids(None, forward=True, limit=cap + 1))
        first, *others = (g.values("content_object_id") for g in self._sources())
        granted = first.union(*others) if others else first.distinct()
        return granted[: cap + 1].count()


def get_document_for_user(user: User, pk: int | str) -> Document:
    try:
        return visible_documents(user).select_related("doc_type", "register").get(pk=pk)
    except (Document.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def user_can_view(user: User, document: Document) -> bool:
    return visible_documents(user).filter(pk=document.pk).exists()


def grant_view_to_user(document: Document, user: User) -> bool:
    """Grant ``user`` the right to see ``document``; False when they already had it."""
    return bool(grant_view(document, users=[user]))


def grant_view_to_department(document: Document, department: Department) -> list[str]:
    """Grant a department; for a confidential document only its heads get personal grants.

    Returns the names of who received a new grant, for the history.
    """
    return grant_view(document, departments=[department])


def grant_view(
    document: Document,
    *,
    users: Iterable[User] = (),
    departments: Iterable[Department] = (),
) -> list[str]:
    """Grant people and departments the right to see ``document``, in a fixed number of
    queries whatever their number (a direction may name a hundred); a confidential
    document goes to the heads of each department, personally.

    The rows are guardian's own (its direct foreign-key permission models), written in
    bulk rather than one ``assign_perm`` of six queries each. Returns the names of those
    who received a new grant, for the history.
    """
    people = {user.pk: user for user in users}
    groups: dict[int, Department] = {}
    for department in departments:
        if document.secrecy != Secrecy.NONE:
            people.update((head.pk, head) for head in department_heads(department))
        else:
            groups[department.group_id] = department
    permission_id = view_permission_id()
    names: list[str] = []
    if people:
        had = set(
            DocumentUserObjectPermission.objects.filter(
                content_object=document, permission_id=permission_id, user_id__in=people
            ).values_list("user_id", flat=True)
        )
        new = [user for pk, user in people.items() if pk not in had]
        # A grant written meanwhile by another transaction is left as it is.
        DocumentUserObjectPermission.objects.bulk_create(
            [
                DocumentUserObjectPermission(
                    content_object=document, permission_id=permission_id, user=user
                )
                for user in new
            ],
            ignore_conflicts=True,
        )
        names += [str(user) for user in new]
    if groups:
        had = set(
            DocumentGroupObjectPermission.objects.filter(
                content_object=document, permission_id=permission_id, group_id__in=groups
            ).values_list("group_id", flat=True)
        )
        new_groups = [d for group_id, d in groups.items() if group_id not in had]
        DocumentGroupObjectPermission.objects.bulk_create(
            [
                DocumentGroupObjectPermission(
                    content_object=document, permission_id=permission_id, group_id=d.group_id
                )
                for d in new_groups
            ],
            ignore_conflicts=True,
        )
        names += [str(d) for d in new_groups]
    return names


@functools.cache
def view_permission_id() -> int:
    """The id of ``documents.view_document``; forgotten after every migrate or flush
    (which recreate permissions with new ids), see ``DocumentsConfig.ready``."""
    return Permission.objects.get(
        content_type__app_label="documents",
        content_type__model="document",
        codename="view_document",
    ).pk


def forget_permission_ids(**kwargs: Any) -> None:
    view_permission_id.cache_clear()


def department_heads(department: Department) -> QuerySet[User]:
    return User.objects.filter(department=department, is_active=True, roles__code="department_head")
