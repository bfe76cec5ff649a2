"""Builders for outgoing drafts and approval chains, on top of ``tests.builders``."""

from __future__ import annotations

from dataclasses import dataclass

from documents.drafts import DraftData, RecipientLine, create_draft
from documents.models import Document, OutgoingRecipient
from documents.uploads import check_upload
from eoffice.models import Agency, Position, User
from routing.approval_models import ChainTemplate, ChainTemplateHolder, ChainTemplateStep, StepMode
from routing.approvals import approve_step, sign_off, submit_draft
from tests.builders import People, doc_type, make_department, make_user, pdf_upload

Group = OutgoingRecipient.Group


@dataclass
class Chain:
    """The usual chain: the drafter's department head, the office chief, then the signer."""

    template: ChainTemplate
    office_chief: User
    deputy: User  # Phó Chủ tịch: a leader who signs "KT. CHỦ TỊCH"


def make_chain(people: People, *, allow_adjust: bool = True) -> Chain:
    office = make_department("VP", "Văn phòng")
    chairman = Position.objects.get_or_create(name="Chủ tịch", defaults={"rank": 1})[0]
    agency = Agency.objects.get()
    agency.collective_name = "Ủy ban nhân dân"
    agency.head_position = chairman
    agency.save()
    office_chief = make_user(
        "office_chief",
        "department_head",
        department=office,
        position="Chánh Văn phòng",
        full_name="Bùi Chánh Văn Phòng",
    )
    deputy = make_user("deputy", "leader", position="Phó Chủ tịch", full_name="Đặng Phó Chủ Tịch")
    template = ChainTemplate.objects.create(name="Quy trình chung", allow_adjust=allow_adjust)
    content = ChainTemplateStep.objects.create(
        template=template, order=1, label="Kiểm tra nội dung"
    )
    ChainTemplateHolder.objects.create(
        step=content, position=Position.objects.get(name="Trưởng phòng")
    )
    form = ChainTemplateStep.objects.create(
        template=template, order=2, label="Kiểm tra thể thức", is_optional=True
    )
    ChainTemplateHolder.objects.create(step=form, user=office_chief)
    signing = ChainTemplateStep.objects.create(
        template=template, order=3, label="Ký ban hành", is_signing=True, mode=StepMode.SINGLE
    )
    ChainTemplateHolder.objects.create(step=signing, position=chairman, department=None)
    ChainTemplateHolder.objects.filter(step=signing).update(user=people.leader)
    return Chain(template, office_chief, deputy)


def draft_data(people: People, **overrides: object) -> DraftData:
    values: dict[str, object] = {
        "doc_type": doc_type("CV"),
        "summary": "V/v báo cáo tình hình thực hiện dự toán ngân sách quý IV",
        "proposed_signer": people.leader,
        "recipients": [
            RecipientLine(Group.EXECUTE, department=people.other_department),
            RecipientLine(Group.INFORM, user=people.outsider_head),
            RecipientLine(
                Group.EXECUTE, external_name="Sở Tài chính", external_code="000.00.12.H49"
            ),
            RecipientLine(Group.FILE, department=people.department),
        ],
    }
    values.update(overrides)
    return DraftData(**values)  # type: ignore[arg-type]


def make_draft(people: People, drafter: User | None = None, **overrides: object) -> Document:
    return create_draft(
        drafter or people.specialist,
        draft_data(people, **overrides),
        [check_upload(pdf_upload("du-thao.pdf", "Dự thảo"))],
    )


def signed_draft(people: People, chain: Chain, **overrides: object) -> Document:
    """A draft taken through the whole chain and signed off by the leader."""
    draft = make_draft(people, **overrides)
    submit_draft(people.specialist, draft.pk, version=None, template=chain.template)
    approve_step(people.head, draft.pk, version=None)
    approve_step(chain.office_chief, draft.pk, version=None)
    sign_off(people.leader, draft.pk, version=None)
    draft.refresh_from_db()
    return draft
