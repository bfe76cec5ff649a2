"""Gap-free numbers from a register's counter.

The counter row is locked for the rest of the caller's transaction (the ``UPDATE`` takes the row
lock on PostgreSQL; on SQLite the IMMEDIATE transaction already holds the database's write lock),
so two clerks can never take the same number, and a rolled-back registration gives its number
back. The unique constraint on (register, number) is the backstop.

Registrations of one register are therefore one at a time: their rate is one over the time the
lock is held, from the number to the end of COMMIT. ``insert_numbered()`` keeps that time to the
document's INSERT and the COMMIT (docs/PERFORMANCE.md, "Numbering").
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import signals
from django.db.models.sql import InsertQuery
from django.utils.translation import gettext as _

from documents.errors import DocumentError
from documents.models import Document, Register


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


def insert_numbered(document: Document) -> int:
    """Give ``document`` the next number of its register and insert it; return the number.

    Must run inside the caller's transaction, as late in it as possible: the caller builds
    the whole document first (texts normalised, ``search_text`` folded), so that the lock
    covers only this INSERT and the COMMIT. Whatever the transaction writes after it
    (history, grants, files) is also held under the counter's lock. Raises
    ``RegisterLocked`` (nothing inserted) if the register takes no new entries.

    On PostgreSQL the number is taken and the row inserted by one statement, so that no
    round trip and no Python run while the counter is locked; elsewhere (SQLite, whose
    IMMEDIATE transaction holds the database's write lock from its start anyway) it is
    ``allocate_number()`` then ``save()``.
    """
    register = document.register
    if register is None or not document._state.adding:
        raise ValueError("insert_numbered() inserts a new document with a register")
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("insert_numbered() must run inside a transaction")
    if connection.vendor != "postgresql":
        document.register_number = allocate_number(register)
        document.save(force_insert=True)
        return document.register_number
    return _insert_numbered_in_one_statement(document, register, connection)


def _insert_numbered_in_one_statement(
    document: Document, register: Register, connection: Any
) -> int:
    """``WITH next_number AS (UPDATE counter … RETURNING) INSERT … SELECT … FROM next_number``:
    the INSERT is Django's own (its fields, values and conversions, ``auto_now`` included);
    only its source of rows changes, so a locked register (no row from the UPDATE) inserts
    nothing. The row lock is taken when PostgreSQL runs the statement, after all the Python
    that prepares it."""
    meta = Document._meta
    signals.pre_save.send(
        sender=Document, instance=document, raw=False, using=connection.alias, update_fields=None
    )
    number_field = meta.get_field("register_number")
    fields = [
        f
        for f in meta.local_concrete_fields
        if not f.generated and f is not meta.auto_field and f is not number_field
    ]
    query = InsertQuery(Document)
    query.insert_values(fields, [document])
    compiler = query.get_compiler(connection=connection)
    values = [compiler.prepare_value(f, compiler.pre_save_val(f, document)) for f in fields]
    placeholder_rows, param_rows = compiler.assemble_as_sql(fields, [values])
    columns = [connection.ops.quote_name(f.column) for f in [*fields, number_field]]
    placeholders = [*placeholder_rows[0], "next_number.last_number"]
    qn = connection.ops.quote_name
    sql = (
        f"WITH next_number AS (UPDATE {qn(Register._meta.db_table)} "  # noqa: S608 (no user input)
        "SET last_number = last_number + 1 WHERE id = %s AND NOT is_locked RETURNING last_number) "
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(placeholders)} FROM next_number "
        f"RETURNING {qn(meta.pk.column)}, {qn(number_field.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [register.pk, *param_rows[0]])
        row = cursor.fetchone()
    if row is None:
        raise RegisterLocked(register.name)
    document.pk, document.register_number = row
    register.last_number = row[1]
    document._state.adding = False
    document._state.db = connection.alias
    signals.post_save.send(
        sender=Document,
        instance=document,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )
    return document.register_number
