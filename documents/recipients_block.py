"""The "Kính gửi" and "Nơi nhận" blocks of an outgoing document (Decree 30, Appendix I).

A pure function over plain values, so that the layout rules are tested without a database.
The words are those of the decree, printed on the document itself: they stay Vietnamese
whatever language the user interface speaks, so they are deliberately not translated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Công văn, and tờ trình/báo cáo sent upward, open with "Kính gửi:" (DOMAIN §c.3).
ADDRESSED_TYPE_CODES = frozenset({"CV", "TTR", "BC"})
# The clerks' office (văn thư) always keeps the original.
ARCHIVE_CODE = "VT"


@dataclass(frozen=True)
class RecipientsBlock:
    addressed: list[str] = field(default_factory=list)  # the "Kính gửi:" lines
    recipients: list[str] = field(default_factory=list)  # the "Nơi nhận:" lines

    @property
    def text(self) -> str:
        return "\n".join([*self.addressed, *([""] if self.addressed else []), *self.recipients])


def _dedupe(names: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for name in names:
        clean = " ".join(name.split())
        if clean and clean.casefold() not in seen:
            seen.add(clean.casefold())
            result.append(clean)
    return result


def build_recipients_block(
    doc_type_code: str,
    *,
    to_execute: Sequence[str],
    to_inform: Sequence[str] = (),
    drafting_unit: str = "",
    to_file: Sequence[str] = (),
    file_copies: int | None = None,
) -> RecipientsBlock:
    """The lines of the blocks for a document of type ``doc_type_code``.

    For a công văn, tờ trình or báo cáo the recipients to execute are "Kính gửi:" (one line
    for one recipient; a dash list ending in "." for several) and "Nơi nhận:" starts with
    "- Như trên;". For other types every recipient is a line of "Nơi nhận:". The last line
    is "- Lưu: VT, <drafting unit>." (with the number of copies kept when given), naming
    any other unit that keeps a copy (``to_file``, short codes).
    """
    execute = _dedupe(to_execute)
    inform = [name for name in _dedupe(to_inform) if name not in execute]
    addressed: list[str] = []
    lines: list[str] = ["Nơi nhận:"]
    if doc_type_code in ADDRESSED_TYPE_CODES and execute:
        if len(execute) == 1:
            addressed = [f"Kính gửi: {execute[0]}."]
        else:
            addressed = ["Kính gửi:"]
            addressed += [f"- {name};" for name in execute[:-1]]
            addressed.append(f"- {execute[-1]}.")
        lines.append("- Như trên;")
    else:
        lines += [f"- {name};" for name in execute]
    lines += [f"- {name};" for name in inform]
    keepers = _dedupe([ARCHIVE_CODE, drafting_unit, *to_file])
    archive = f"- Lưu: {', '.join(keepers)}"
    if file_copies:
        archive += f" ({file_copies})"
    lines.append(f"{archive}.")
    return RecipientsBlock(addressed=addressed, recipients=lines)
