"""Who may take which action on an outgoing draft, derived from its chain."""

from __future__ import annotations

from dataclasses import dataclass, field

from documents.models import Document
from documents.permissions import user_can_view
from eoffice.models import User
from routing.approval_models import ApprovalStep, ApprovalTask, Delegation
from routing.approval_workflow import DraftAction, is_legal_draft_action

TaskState = ApprovalTask.State


@dataclass
class ChainView:
    """A draft's current round of steps and what one user holds in it (fixed queries)."""

    user: User
    document: Document
    steps: list[ApprovalStep] = field(default_factory=list)
    _can_view: bool | None = field(default=None, repr=False)

    @classmethod
    def load(cls, user: User, document: Document) -> ChainView:
        last = (
            ApprovalStep.objects.filter(document=document)
            .order_by("-round")
            .values_list("round", flat=True)
            .first()
        )
        steps: list[ApprovalStep] = []
        if last is not None:
            steps = list(
                ApprovalStep.objects.filter(document=document, round=last)
                .order_by("order")
                .prefetch_related(
                    "tasks__holder__position", "tasks__on_behalf_of", "tasks__delegation"
                )
            )
        return cls(user, document, steps)

    @property
    def round(self) -> int:
        return self.steps[0].round if self.steps else 0

    @property
    def active_step(self) -> ApprovalStep | None:
        return next((s for s in self.steps if s.state == ApprovalStep.State.ACTIVE), None)

    def live_tasks(self, step: ApprovalStep) -> list[ApprovalTask]:
        return [t for t in step.tasks.all() if t.cycle == step.cycle]

    def my_task(self) -> ApprovalTask | None:
        """The task waiting for this user in the active step, if any."""
        step = self.active_step
        if step is None:
            return None
        return next(
            (
                t
                for t in self.live_tasks(step)
                if t.holder_id == self.user.pk and t.state == TaskState.PENDING
            ),
            None,
        )

    def anyone_acted(self) -> bool:
        """Whether any approver of this round has done anything yet."""
        return any(t.acted_at is not None for s in self.steps for t in s.tasks.all())

    def earlier_steps(self) -> list[ApprovalStep]:
        step = self.active_step
        if step is None:
            return []
        return [s for s in self.steps if s.order < step.order]

    def can_view(self) -> bool:
        """Whether the user may see the draft (asked once per view of the chain)."""
        if self._can_view is None:
            self._can_view = self.document.drafter_id == self.user.pk or any(
                t.holder_id == self.user.pk and t.state != TaskState.WAITING
                for s in self.steps
                for t in s.tasks.all()
            )
            if not self._can_view:
                self._can_view = user_can_view(self.user, self.document)
        return self._can_view

    def actions(self) -> set[DraftAction]:
        """Every action this user may take now; the services check the same set."""
        user, document = self.user, self.document
        allowed: set[DraftAction] = set()
        # Only someone who may see the draft may comment on it (the chain so far, the
        # drafter, and after issue its recipients and the clerks).
        if self.can_view():
            allowed.add(DraftAction.COMMENT)
        if document.drafter_id == user.pk:
            allowed |= {DraftAction.EDIT, DraftAction.SUBMIT, DraftAction.ABANDON}
            if not self.anyone_acted():
                allowed.add(DraftAction.RECALL)
        task = self.my_task()
        if task is not None:
            step = self.active_step
            assert step is not None  # my_task() is only found in the active step
            allowed |= {DraftAction.SIGN if step.is_signing else DraftAction.APPROVE}
            allowed.add(DraftAction.RETURN)
            # A written authorisation (TUQ.) cannot be passed on to someone else.
            if task.delegation is None or task.delegation.capacity != Delegation.Capacity.TUQ:
                allowed.add(DraftAction.FORWARD)
        if user.is_clerk:
            allowed.add(DraftAction.ISSUE)
        if user.is_clerk or document.signed_by_id == user.pk:
            allowed.add(DraftAction.WITHDRAW)
        return {a for a in allowed if is_legal_draft_action(a, document.state)}
