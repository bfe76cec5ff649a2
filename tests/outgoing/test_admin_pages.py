"""The administration pages of approval chains, absences, reserved numbers and the agency."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents.outgoing_numbers import reserve_number
from eoffice.models import Agency
from routing.approval_models import ChainTemplateStep
from tests.builders import doc_type, make_user
from tests.outgoing_builders import make_chain

pytestmark = pytest.mark.django_db


def test_admin_pages_open(people, client):
    chain = make_chain(people)
    admin = make_user("admin", "admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    reservation = reserve_number(people.clerk, doc_type("CV"), confidential=False, purpose="Giữ")
    step = ChainTemplateStep.objects.filter(template=chain.template).first()
    urls = [
        reverse("admin:routing_chaintemplate_changelist"),
        reverse("admin:routing_chaintemplate_add"),
        reverse("admin:routing_chaintemplate_change", args=[chain.template.pk]),
        reverse("admin:routing_chaintemplatestep_change", args=[step.pk]),
        reverse("admin:routing_delegation_changelist"),
        reverse("admin:routing_delegation_add"),
        reverse("admin:documents_numberreservation_changelist"),
        reverse("admin:documents_numberreservation_change", args=[reservation.pk]),
        reverse("admin:eoffice_agency_change", args=[Agency.objects.get().pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("admin:eoffice_agency_change", args=[Agency.objects.get().pk]))
    for name in ("collective_name", "head_position", "outgoing_series"):
        assert f'name="{name}"' in page.text
    # Reserved numbers are read only: no add, no change form fields.
    assert client.get(reverse("admin:documents_numberreservation_add")).status_code == 403
    change = client.get(reverse("admin:documents_numberreservation_change", args=[reservation.pk]))
    assert 'name="purpose"' not in change.text
