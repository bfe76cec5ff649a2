"""Search is diacritic-insensitive on both databases."""

from __future__ import annotations

import unicodedata

import pytest
from django.urls import reverse

from documents.text import fold, number_symbol_key
from routing.selectors import RegisterFilter, list_incoming
from tests.builders import register


@pytest.fixture
def documents(people):
    return {
        "reform": register(
            people.clerk,
            summary="V/v triển khai kế hoạch cải cách hành chính",
            sender_name="Sở Nội vụ",
            number_symbol="15/KH-SNV",
        ),
        "budget": register(
            people.clerk,
            summary="V/v dự toán ngân sách năm 2026",
            sender_name="Sở Tài chính",
            number_symbol="5052/STC-QLNS",
        ),
        "land": register(
            people.clerk,
            summary="V/v rà soát hồ sơ địa chính",
            sender_name="Sở Tài nguyên và Môi trường",
            number_symbol="7/STNMT-ĐĐ",
        ),
    }


def _search(user, **filters):
    return set(
        list_incoming(user, RegisterFilter(**filters)).values_list("number_symbol", flat=True)
    )


@pytest.mark.parametrize(
    "query",
    [
        "cai cach hanh chinh",
        "cải cách hành chính",
        "CẢI CÁCH",
        "Cai Cach",
        unicodedata.normalize("NFD", "cải cách hành chính"),
        "hanh chinh cai cach",
    ],
)
def test_summary_with_or_without_diacritics(people, documents, query):
    assert _search(people.clerk, q=query) == {"15/KH-SNV"}


def test_number_symbol_and_sender(people, documents):
    assert _search(people.clerk, q="5052") == {"5052/STC-QLNS"}
    assert _search(people.clerk, q="stnmt-dd") == {"7/STNMT-ĐĐ"}
    assert _search(people.clerk, sender="so tai chinh") == {"5052/STC-QLNS"}
    assert _search(people.clerk, q="dia chinh") == {"7/STNMT-ĐĐ"}
    assert _search(people.clerk, q="không có") == set()


def test_search_through_the_page(people, documents, client_for):
    response = client_for(people.clerk).get(reverse("incoming-list"), {"q": "ngan sach"})
    assert "5052/STC-QLNS" in response.text
    assert "15/KH-SNV" not in response.text


def test_fold_and_number_symbol_key():
    assert fold("Đường  CẢI cách") == "duong cai cach"
    assert number_symbol_key("05 / qđ-ubnd") == number_symbol_key("5/QĐ-UBND") == "5/QD-UBND"
