"""The fast select widgets write the same HTML as Django's own, and ``NameChoiceField``
offers the same options as a ``ModelChoiceField`` without making model instances."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertHTMLEqual

from eoffice.models import Department
from eoffice.widgets import FastSelect, FastSelectMultiple, NameChoiceField

CHOICES = [
    ("", "Tất cả"),
    (1, "Sở Tài chính"),
    ("2", 'Phòng "Kế hoạch" & <Đầu tư>'),
    ("Nhóm", [("3", "Ba"), ("4", "Bốn")]),
    (None, "Không"),
    ("1", "Trùng giá trị"),
]


@pytest.mark.parametrize("value", [None, "", "1", 1, "3", "x"])
def test_fast_select_matches_django_select(value):
    attrs = {"id": "id_f", "class": "wide", "required": True, "disabled": False}
    fast = FastSelect(choices=CHOICES).render("f", value, attrs)
    django = forms.Select(choices=CHOICES).render("f", value, attrs)
    assertHTMLEqual(fast, django)


@pytest.mark.parametrize("value", [None, [], ["1", "4"], [1, "2"]])
def test_fast_select_multiple_matches_django_select_multiple(value):
    attrs = {"id": "id_m", "size": 6}
    fast = FastSelectMultiple(choices=CHOICES).render("m", value, attrs)
    django = forms.SelectMultiple(choices=CHOICES).render("m", value, attrs)
    assertHTMLEqual(fast, django)


@pytest.mark.django_db
def test_name_choice_field_offers_what_model_choice_field_does(people):
    queryset = Department.objects.filter(is_active=True)

    class Fast(forms.Form):
        department = NameChoiceField(queryset=queryset, required=False, empty_label="Tất cả")

    class Plain(forms.Form):
        department = forms.ModelChoiceField(
            queryset=queryset, required=False, empty_label="Tất cả", widget=FastSelect
        )

    chosen = queryset.first()
    with CaptureQueriesContext(connection) as captured:
        fast_html = str(Fast(initial={"department": chosen.pk})["department"])
    assert len(captured) == 1  # the options, as (pk, name) pairs
    assertHTMLEqual(fast_html, str(Plain(initial={"department": chosen.pk})["department"]))
    assert "selected" in fast_html
    form = Fast({"department": chosen.pk})
    assert form.is_valid() and form.cleaned_data["department"] == chosen
    refused = Fast({"department": 999_999})
    assert not refused.is_valid() and "department" in refused.errors
