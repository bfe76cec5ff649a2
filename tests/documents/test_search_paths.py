"""What a search box entry becomes (documents.search), on both databases."""

from __future__ import annotations

import pytest
from django.db import connection

from documents.search import looks_like_number_symbol
from routing.selectors import RegisterFilter, list_incoming
from tests.builders import register


def _found(user, query: str) -> set[str]:
    return set(list_incoming(user, RegisterFilter(q=query)).values_list("number_symbol", flat=True))


def test_a_number_symbol_is_matched_exactly_not_as_a_substring(people):
    register(people.clerk, files=0, number_symbol="45/QĐ-UBND", summary="Quyết định A")
    register(people.clerk, files=0, number_symbol="145/QĐ-UBND", summary="Quyết định B")
    register(people.clerk, files=0, number_symbol="45/KH-UBND", summary="Kế hoạch C")
    assert _found(people.clerk, "45/QĐ-UBND") == {"45/QĐ-UBND"}
    assert _found(people.clerk, "45/qd-ubnd") == {"45/QĐ-UBND"}
    assert _found(people.clerk, "045 / QĐ-UBND") == {"45/QĐ-UBND"}
    # The start of a number/symbol finds every one that begins so.
    assert _found(people.clerk, "45/") == {"45/QĐ-UBND", "45/KH-UBND"}
    assert _found(people.clerk, "45/QĐ") == {"45/QĐ-UBND"}


def test_what_looks_like_a_number_symbol():
    assert looks_like_number_symbol("45/QĐ-UBND")
    assert looks_like_number_symbol(" 5052 / STC")
    assert not looks_like_number_symbol("5052")
    assert not looks_like_number_symbol("v/v ngân sách")


def test_short_and_common_words(people):
    register(
        people.clerk,
        files=0,
        sender_name="UBND huyện",
        number_symbol="1/A",
        summary="Về chuyển đổi số",
    )
    register(
        people.clerk,
        files=0,
        sender_name="UBND huyện",
        number_symbol="2/A",
        summary="Về chuyển đổi mô hình",
    )
    register(
        people.clerk,
        files=0,
        sender_name="UBND huyện",
        number_symbol="3/A",
        summary="Về xã hội hóa",
    )
    assert _found(people.clerk, "chuyển đổi số") == {"1/A"}
    assert _found(people.clerk, "chuyen doi") == {"1/A", "2/A"}
    assert _found(people.clerk, "xa hoi") == {"3/A"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text path: PostgreSQL only")
def test_words_are_whole_words_and_the_last_may_be_unfinished(people):
    register(people.clerk, files=0, number_symbol="1/B", summary="Báo cáo ngành giáo dục")
    register(people.clerk, files=0, number_symbol="2/B", summary="Dự toán ngân sách")
    # "ngan" is a word of its own, not the beginning of "nganh" (unless it is the last,
    # unfinished word of the query).
    assert _found(people.clerk, "ngan sach") == {"2/B"}
    assert _found(people.clerk, "bao cao nganh giao") == {"1/B"}
    assert _found(people.clerk, "du toan ngan sa") == set()  # "sa": too short for a prefix
