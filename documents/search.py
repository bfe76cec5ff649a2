"""The register's search box, diacritic-insensitive, on both databases.

``Document.search_text`` holds the folded summary, number/symbol and issuing body
(``documents.text.fold``). What a query becomes:

- something shaped like a number/symbol ("45/QĐ-UBND", "5052/STC") is looked up in the
  normalised ``number_symbol_key`` column (btree; the prefix "45/QĐ" finds every
  "45/QĐ-…"), never as a substring of the text: "45/" would also match 145/, 2045/, …;
- on PostgreSQL, each word of letters is matched as a whole word through a full-text index
  (``to_tsvector('simple', search_text)``, migration 0010): exact posting lists, and
  statistics good enough for the planner to walk the newest documents when a word is
  common and to use the index when it is rare; short words ("so", "xa") too, which the
  trigram index cannot see. The last word may be unfinished: it matches as a prefix;
- any other term (digits, "stnmt-dd") stays a substring match, served on PostgreSQL by the
  trigram index (migration 0004); on SQLite every term is a substring match.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import Lookup, Q
from django.db.models.sql.compiler import SQLCompiler

from documents.models import Document
from documents.text import number_symbol_key, search_terms

_NUMBER_SYMBOL = re.compile(r"^\s*\d+\s*/")
_WORD = re.compile(r"^[a-z]+$")


class WordsMatch(Lookup):  # type: ignore[type-arg,unused-ignore]
    """``search_text__words="cai & cach"``: a full-text match (PostgreSQL only), written
    exactly as the expression of the index ``document_words_idx`` so that it serves it."""

    lookup_name = "words"

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        sql = f"to_tsvector('simple', {lhs}) @@ to_tsquery('simple', {rhs})"
        return sql, (*lhs_params, *rhs_params)


class WordsScan(WordsMatch):
    """The same match, written so that no index serves it: for words so common that
    walking the newest documents meets a page of them sooner than reading their whole
    posting lists does (the planner, assuming words independent, underestimates phrases
    such as "chuyen doi so" by 25 times and picks the index)."""

    lookup_name = "words_scan"

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        sql = f"to_tsvector('simple', {lhs} || '') @@ to_tsquery('simple', {rhs})"
        return sql, (*lhs_params, *rhs_params)


for _lookup in (WordsMatch, WordsScan):
    Document._meta.get_field("search_text").register_lookup(_lookup)

# A word found in more than this share of documents counts as common (see WordsScan).
COMMON_WORD_SHARE = 0.01


def word_shares(words: list[str]) -> dict[str, float]:
    """The share of documents holding each word, from the statistics PostgreSQL keeps on
    ``document_words_idx`` (its most common elements); rarer words are absent."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = 'document_words_idx'"
        )
        row = cursor.fetchone()
    if not row or row[0] is None:
        return {}
    shares = dict(zip(row[0], row[1], strict=False))
    return {word: shares[word] for word in words if word in shares}


def looks_like_number_symbol(query: str) -> bool:
    return bool(_NUMBER_SYMBOL.match(query))


def search_filter(query: str) -> Q:
    """The condition a register search box entry puts on documents (empty: none)."""
    if looks_like_number_symbol(query):
        return Q(number_symbol_key__startswith=number_symbol_key(query))
    terms = search_terms(query)
    if connection.vendor != "postgresql":
        return _substrings(terms)
    words = [t for t in terms if _WORD.match(t)]
    others = [t for t in terms if not _WORD.match(t)]
    condition = _substrings(others)
    if words:
        # Letters only (checked above), so the query string needs no quoting.
        last = f"{words[-1]}:*" if terms[-1] == words[-1] and len(words[-1]) >= 4 else words[-1]
        tsquery = " & ".join([*words[:-1], last])
        shares = word_shares(words)
        common = len(shares) == len(words) and min(shares.values()) >= COMMON_WORD_SHARE
        lookup = "search_text__words_scan" if common else "search_text__words"
        condition &= Q(**{lookup: tsquery})
    return condition


def _substrings(terms: list[str]) -> Q:
    condition = Q()
    for term in terms:
        condition &= Q(search_text__contains=term)
    return condition
