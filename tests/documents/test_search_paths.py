"""What a search box entry becomes (documents.search), on both databases."""

from __future__ import annotations

import pytest
from django.db import connection

from documents import search
from documents.models import Document
from documents.search import looks_like_number_symbol, search_filter
from documents.services import build_search_text
from routing.selectors import RegisterFilter, list_incoming
from tests.builders import register
from tests.conftest import requires_postgres
from tests.query_plans import index_plan


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


# --- PostgreSQL: the stored full-text column (migration 0013) ---------------------------------


def _vector(document) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM documents_document WHERE id = %s", [document.pk]
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@requires_postgres
def test_the_database_keeps_the_search_vector_of_every_row(people):
    document = register(
        people.clerk, files=0, number_symbol="9/C", summary="Về chuyển đổi số", sender_name="Sở A"
    )
    assert {"'chuyen'", "'doi'", "'so'", "'9/c'"} <= set(
        word.split(":")[0] for word in _vector(document).split()
    )
    # An update of the text recomputes it (a generated column), whoever writes the row.
    document.summary = "Về ngân sách"
    document.search_text = build_search_text(document)
    document.save(update_fields=["summary", "search_text"])
    words = {word.split(":")[0] for word in _vector(document).split()}
    assert "'ngan'" in words
    assert "'chuyen'" not in words


@pytest.mark.postgres
@requires_postgres
def test_words_are_matched_on_the_stored_column_through_its_index(people):
    documents = Document.objects.filter(search_filter("ngân sách")).order_by()
    sql = str(documents.query)
    assert '"documents_document"."search_vector" @@ to_tsquery' in sql
    assert "to_tsvector" not in sql  # nothing computed per row
    assert "document_search_vector_idx" in index_plan(documents)
    # Inside a subquery the column is named under the subquery's alias.
    nested = Document.objects.filter(pk__in=Document.objects.filter(search_filter("ngan")))
    assert '"search_vector" @@ to_tsquery' in str(nested.query)


@pytest.mark.postgres
@requires_postgres
def test_common_words_walk_the_rows_with_the_same_result(people, monkeypatch):
    register(people.clerk, files=0, number_symbol="1/D", summary="Dự toán ngân sách năm 2026")
    register(people.clerk, files=0, number_symbol="2/D", summary="Báo cáo ngân hàng")
    register(people.clerk, files=0, number_symbol="3/D", summary="Quyết toán ngân sách")
    assert _found(people.clerk, "ngân sách") == {"1/D", "3/D"}

    def every_word_common(words):
        return dict.fromkeys(words, 0.5)

    monkeypatch.setattr(search, "word_shares", every_word_common)
    documents = Document.objects.filter(search_filter("ngan sach")).order_by()
    assert 'ts_match_vq("documents_document"."search_vector", to_tsquery' in str(documents.query)
    assert "document_search_vector_idx" not in index_plan(documents)  # no index serves it
    assert _found(people.clerk, "ngân sách") == {"1/D", "3/D"}
    assert _found(people.clerk, "ngan sach nam") == {"1/D"}


@pytest.mark.postgres
@requires_postgres
def test_word_shares_come_from_the_column_statistics(people):
    for i in range(4):
        register(people.clerk, files=0, number_symbol=f"{i}/E", summary="Dự toán ngân sách")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE documents_document")
    shares = search.word_shares(["ngan", "sach", "khongco"])
    assert set(shares) == {"ngan", "sach"}
    assert all(0 < share <= 1 for share in shares.values())
