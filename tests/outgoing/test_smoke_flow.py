from __future__ import annotations

import pytest

from documents.models import Document, OutgoingRecipient
from documents.permissions import visible_documents
from routing.issuing import issue_outgoing
from routing.models import Assignment
from tests.outgoing_builders import make_chain, signed_draft

pytestmark = pytest.mark.django_db


def test_a_signed_draft_is_issued_and_delivered(people):
    chain = make_chain(people)
    draft = signed_draft(people, chain)
    assert draft.state == Document.State.SIGNED
    assert draft.signer_capacity == "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
    issued = issue_outgoing(people.clerk, draft.pk, version=draft.version)
    assert issued.state == Document.State.ISSUED
    assert issued.number_symbol == "01/UBND-TCKH"
    copies = Document.objects.filter(source_document=issued)
    assert copies.count() == 2
    external = issued.recipients.get(external_name="Sở Tài chính")
    assert external.delivery == OutgoingRecipient.Delivery.TO_SEND
    dept_copy = issued.recipients.get(department=people.other_department).delivered_document
    assert Assignment.objects.get(document=dept_copy).role == Assignment.Role.LEAD
    assert visible_documents(people.outsider_head).filter(pk=dept_copy.pk).exists()
