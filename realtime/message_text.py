"""What a message's text refers to, and how it reads for one viewer.

"@username" names a person; a number/symbol such as "5052/STC-QLNS" names a document. The
text itself is stored as written; links are made at display time, for the viewer only: a
document reference becomes a link with its summary when the viewer may see that document,
and stays plain text for everybody else. The documents of a whole page are looked up in one
query (``document_links``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from documents.models import Document
from documents.permissions import visible_documents
from documents.text import number_symbol_key
from eoffice.models import User

# A mention is "@" not glued to a word (so e-mail addresses are not mentions), then a
# username without a trailing dot; a reference is digits, then "/"-separated parts.
TOKENS = re.compile(
    r"(?P<mention>(?<![\w@])@(?P<username>\w(?:[\w.+-]*\w)?))"
    r"|(?P<ref>(?<![\w/])\d{1,7}(?:/[\w.-]*\w)+)"
)
SUMMARY_LENGTH = 140


@dataclass(frozen=True)
class DocumentLink:
    url: str
    summary: str


def _is_reference(token: str) -> bool:
    # "15/3" is a date or a fraction; a number/symbol has letters after the number.
    return any(ch.isalpha() for ch in token.partition("/")[2])


def mentioned_usernames(text: str) -> set[str]:
    """The usernames written as "@username", case-folded."""
    return {m["username"].casefold() for m in TOKENS.finditer(text) if m["username"]}


def referenced_keys(text: str) -> set[str]:
    """The number/symbol keys (documents.text.number_symbol_key) the text names."""
    return {
        number_symbol_key(m["ref"])
        for m in TOKENS.finditer(text)
        if m["ref"] and _is_reference(m["ref"])
    }


def _document_url(pk: int, direction: str) -> str:
    if direction == Document.Direction.OUTGOING:
        try:
            return reverse("outgoing-detail", args=[pk])
        except NoReverseMatch:
            pass
    return reverse("incoming-detail", args=[pk])


def document_links(viewer: User, texts: Iterable[str]) -> dict[str, DocumentLink]:
    """The referenced documents ``viewer`` may see, by key: one query for all ``texts``."""
    keys = set().union(*(referenced_keys(text) for text in texts))
    if not keys:
        return {}
    rows = (
        visible_documents(viewer)
        .filter(number_symbol_key__in=keys)
        .order_by("-received_at", "-id")
        .values_list("pk", "number_symbol_key", "summary", "direction")
    )
    links: dict[str, DocumentLink] = {}
    for pk, key, summary, direction in rows:
        # The same number/symbol from two senders: the most recent one is linked.
        links.setdefault(key, DocumentLink(url=_document_url(pk, direction), summary=summary))
    return links


def render_text(text: str, *, mentioned: set[str], documents: dict[str, DocumentLink]) -> str:
    """The message as HTML: escaped, with mentions marked and visible documents linked.

    ``mentioned`` holds the case-folded usernames that were really mentioned (people of the
    conversation); ``documents`` comes from ``document_links`` for this viewer.
    """
    parts: list[SafeString] = []
    position = 0
    for match in TOKENS.finditer(text):
        parts.append(escape(text[position : match.start()]))
        token = match.group(0)
        link = None
        if match["ref"] and _is_reference(token):
            link = documents.get(number_symbol_key(token))
        if match["username"] and match["username"].casefold() in mentioned:
            parts.append(format_html('<span class="mention">{}</span>', token))
        elif link is not None:
            parts.append(
                format_html(
                    '<a class="doc-ref" href="{}">{}</a> <small class="doc-ref-summary">({})'
                    "</small>",
                    link.url,
                    token,
                    Truncator(link.summary).chars(SUMMARY_LENGTH),
                )
            )
        else:
            parts.append(escape(token))
        position = match.end()
    parts.append(escape(text[position:]))
    return format_html_join("", "{}", ((part,) for part in parts))
