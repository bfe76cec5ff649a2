"""Gap-free numbers from a register's counter.

The counter row is locked for the rest of the caller's transaction (the ``UPDATE`` takes the row
lock on PostgreSQL; on SQLite the IMMEDIATE transaction already holds the database's write lock),
so two clerks can never take the same number, and a rolled-back registration gives its number
back. The unique constraint on (register, number) is the backstop.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from documents.errors import DocumentError
from documents.models import Register


class RegisterLocked(DocumentError):
    def __init__(self, register_name: str) -> None:
        super().__init__(
            _("%(register)s is locked and takes no new entries; ask the administrator.")
            % {"register": register_name}
        )


def get_or_create_register(kind: str, year: int, *, confidential: bool) -> Register:
    names: dict[tuple[str, bool], str] = {
        (Register.Kind.INCOMING, False): _("Incoming register %(year)s"),
        (Register.Kind.INCOMING, True): _("Confidential incoming register %(year)s"),
        (Register.Kind.OUTGOING, False): _("Outgoing register %(year)s"),
        (Register.Kind.OUTGOING, True): _("Confidential outgoing register %(year)s"),
    }
    register, _created = Register.objects.get_or_create(
        kind=kind,
        year=year,
        is_confidential=confidential,
        defaults={"name": names[(kind, confidential)] % {"year": year}},
    )
    return register


def allocate_number(register: Register) -> int:
    """Take the next number of ``register``; must run inside the caller's transaction."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("allocate_number() must run inside a transaction")
    # One statement: the UPDATE takes the row lock (held until the caller commits) and
    # RETURNING hands back our own increment, never another transaction's. Everything after
    # it in the caller's transaction runs under that lock, so it costs one round trip, not
    # two (an UPDATE then a SELECT): the lock hold is what bounds registrations per second
    # (docs/PERFORMANCE.md, "Numbering"). PostgreSQL and SQLite >= 3.35 both have RETURNING.
    table = connection.ops.quote_name(Register._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608 (no user input)
            "WHERE id = %s AND NOT is_locked RETURNING last_number",
            [register.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise RegisterLocked(register.name)
    register.last_number = row[0]
    return register.last_number
