"""Text normalisation for Vietnamese search and for number/symbol comparison."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NUMBER_SYMBOL_JUNK = re.compile(r"[\s.]+")


def nfc(text: str) -> str:
    """Vietnamese input may arrive decomposed (NFD); store and compare NFC (TRAPS.md)."""
    return unicodedata.normalize("NFC", text or "")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: "Cải cách  HÀNH CHÍNH" -> "cai cach hanh chinh"."""
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", stripped.casefold()).strip()


def search_terms(query: str) -> list[str]:
    """The folded words of a search box entry, each to be matched as a substring."""
    return [term for term in fold(query).split(" ") if term]


def number_symbol_key(number_symbol: str) -> str:
    """An exact-match key for a number/symbol: "05 / QĐ-ubnd" and "5/QĐ-UBND" are one document."""
    folded = fold(number_symbol).upper()
    folded = _NUMBER_SYMBOL_JUNK.sub("", folded)
    number, sep, symbol = folded.partition("/")
    if sep and number.isdigit():
        number = str(int(number))
    return f"{number}{sep}{symbol}"
