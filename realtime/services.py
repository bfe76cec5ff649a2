"""Raising notices, marking them read, and telling open websockets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from documents.models import Document
from eoffice.models import User
from realtime.kinds import NoticeEvent, NoticeKind
from realtime.models import Notice, NoticeCounter
from realtime.push import document_group, send_to_groups, session_group, user_group

# Counters are taken with one statement for all recipients: an upsert that adds each
# recipient's count to their counter (creating it at 0 first) and returns the new values.
# Rows are written in user id order, so two concurrent actions lock shared counters in the
# same order and cannot deadlock.
_COUNTER_UPSERT_PG = """
    INSERT INTO {table} AS c (user_id, last_seq)
    SELECT u, n FROM unnest(%s::bigint[], %s::integer[]) AS t(u, n) ORDER BY u
    ON CONFLICT (user_id) DO UPDATE SET last_seq = c.last_seq + EXCLUDED.last_seq
    RETURNING c.user_id, c.last_seq
"""
_COUNTER_UPSERT_SQLITE = """
    INSERT INTO {table} (user_id, last_seq) VALUES {rows}
    ON CONFLICT (user_id) DO UPDATE SET last_seq = last_seq + excluded.last_seq
    RETURNING user_id, last_seq
"""
_SQLITE_ROWS_PER_STATEMENT = 500


def _take_seqs(counts: dict[int, int]) -> dict[int, int]:
    """Add ``counts[user]`` to each user's counter; return each user's first new number.

    Runs in the caller's transaction: the counter rows stay locked until it ends, so the
    numbers of each user are gap-free and in commit order.
    """
    table = connection.ops.quote_name(NoticeCounter._meta.db_table)
    user_ids = sorted(counts)
    last: dict[int, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _COUNTER_UPSERT_PG.format(table=table),
                [user_ids, [counts[u] for u in user_ids]],
            )
            last.update(cursor.fetchall())
        elif connection.vendor == "sqlite":
            for start in range(0, len(user_ids), _SQLITE_ROWS_PER_STATEMENT):
                chunk = user_ids[start : start + _SQLITE_ROWS_PER_STATEMENT]
                rows = ", ".join(["(%s, %s)"] * len(chunk))
                cursor.execute(
                    _COUNTER_UPSERT_SQLITE.format(table=table, rows=rows),
                    [value for u in chunk for value in (u, counts[u])],
                )
                last.update(cursor.fetchall())
        else:  # pragma: no cover - other backends: one counter at a time
            NoticeCounter.objects.bulk_create(
                [NoticeCounter(user_id=u) for u in user_ids], ignore_conflicts=True
            )
            for u in user_ids:
                NoticeCounter.objects.filter(user_id=u).update(last_seq=F("last_seq") + counts[u])
                last[u] = NoticeCounter.objects.values_list("last_seq", flat=True).get(user_id=u)
    return {u: last[u] - counts[u] + 1 for u in user_ids}


# One notice of a batch: who receives it, its kind and its payload.
NoticeSpec = tuple[Iterable[User], NoticeKind, Mapping[str, Any]]
# One notice to one recipient: their id, the kind and the payload of its spec.
NoticeRow = tuple[int, NoticeKind, Mapping[str, Any]]


def notify(
    recipients: Iterable[User],
    kind: NoticeKind,
    *,
    document: Document | None = None,
    actor: User | None = None,
    **data: Any,
) -> list[Notice]:
    """Store a notice for each recipient in the caller's transaction; push after commit.

    The actor is never notified of their own action. A rolled-back action leaves neither a
    notice nor a push behind.
    """
    return notify_each([(recipients, kind, data)], document=document, actor=actor)


def notify_each(
    specs: Sequence[NoticeSpec],
    *,
    document: Document | None = None,
    actor: User | None = None,
) -> list[Notice]:
    """Several notices about one action, each to its own recipients, stored and pushed
    together: one counter statement, one insert and one push for the whole batch.

    Same guarantees as ``notify``: stored in the caller's transaction, pushed only after
    commit, never to the actor or to an inactive user; each recipient's numbers follow
    the order of ``specs`` without gaps.
    """
    rows: list[NoticeRow] = []
    for recipients, kind, data in specs:
        users = {u.pk for u in recipients if u is not None and u.is_active}
        if actor is not None:
            users.discard(actor.pk)
        rows.extend((user_id, kind, data) for user_id in sorted(users))
    if not rows:
        return []
    counts = Counter(user_id for user_id, _kind, _data in rows)
    # Counters and notices commit together; inside the action's transaction no savepoint
    # of its own (two round trips for nothing: a failure undoes the action). A caller that
    # must survive a failed notice wraps the call in its own ``atomic``.
    with transaction.atomic(savepoint=False):
        next_seq = _take_seqs(dict(counts))
        seqs = []
        for user_id, _kind, _data in rows:
            seqs.append(next_seq[user_id])
            next_seq[user_id] += 1
        if connection.vendor == "postgresql":
            notices = _insert_notices_pg(rows, seqs, document, actor)
        else:
            notices = _insert_notices(rows, seqs, document, actor)
    document_id = document.pk if document else None
    events = [
        (
            user_group(n.recipient_id),
            NoticeEvent(type="notice", id=n.pk, seq=n.seq, kind=kind, document_id=document_id),
        )
        for n, (_user_id, kind, _data) in zip(notices, rows, strict=True)
    ]
    transaction.on_commit(lambda: send_to_groups(events), robust=True)
    return notices


# One statement per notice of a batch (its kind and payload), all its recipients at once:
# two integer arrays instead of a row of parameters per recipient.
_NOTICE_INSERT_PG = """
    INSERT INTO {table} (recipient_id, seq, kind, document_id, actor_id, data, created_at)
    SELECT r, s, %s, %s::bigint, %s::bigint, %s, %s
    FROM unnest(%s::bigint[], %s::integer[]) AS t(r, s)
    RETURNING id, recipient_id, seq
"""


def _insert_notices_pg(
    rows: Sequence[NoticeRow], seqs: list[int], document: Document | None, actor: User | None
) -> list[Notice]:
    """The batch's notices with one INSERT per distinct notice, on PostgreSQL.

    ``bulk_create`` of 1,000 notices cost ~150 ms, most of it Python: compiling a row of
    seven parameters per notice and quoting them (bench, issue 5: an announcement to 1,000
    people); here the recipients and their numbers travel as two arrays.
    """
    now = timezone.now()
    data_field = Notice._meta.get_field("data")
    table = connection.ops.quote_name(Notice._meta.db_table)
    groups: dict[int, list[int]] = {}  # spec (its position in ``rows``) -> row indexes
    first_of: dict[tuple[NoticeKind, int], int] = {}
    for index, (_user_id, kind, data) in enumerate(rows):
        spec = first_of.setdefault((kind, id(data)), index)
        groups.setdefault(spec, []).append(index)
    pks: dict[tuple[int, int], int] = {}
    with connection.cursor() as cursor:
        for spec, indexes in groups.items():
            _user_id, kind, data = rows[spec]
            cursor.execute(
                _NOTICE_INSERT_PG.format(table=table),
                [
                    kind,
                    document.pk if document else None,
                    actor.pk if actor else None,
                    data_field.get_db_prep_save(dict(data), connection),
                    now,
                    [rows[i][0] for i in indexes],
                    [seqs[i] for i in indexes],
                ],
            )
            pks.update(((user_id, seq), pk) for pk, user_id, seq in cursor.fetchall())
    # Built as the ORM builds rows it reads (positional values, no descriptor per field):
    # half the time of ``Notice(**fields)`` for a thousand notices.
    columns = [f.attname for f in Notice._meta.concrete_fields]
    values: dict[str, Any] = {
        "recipient_id": None,
        "seq": None,
        "kind": None,
        "document_id": document.pk if document else None,
        "actor_id": actor.pk if actor else None,
        "data": None,
        "created_at": now,
        "read_at": None,
        "emailed_at": None,
    }
    notices = []
    for (user_id, kind, data), seq in zip(rows, seqs, strict=True):
        values.update(
            id=pks[(user_id, seq)], recipient_id=user_id, seq=seq, kind=kind, data=dict(data)
        )
        notices.append(Notice.from_db(connection.alias, columns, [values[c] for c in columns]))
    return notices


def _insert_notices(
    rows: Sequence[NoticeRow], seqs: list[int], document: Document | None, actor: User | None
) -> list[Notice]:
    """The batch's notices with ``bulk_create`` (SQLite and any other database)."""
    notices = Notice.objects.bulk_create(
        [
            Notice(
                recipient_id=user_id,
                seq=seq,
                kind=kind,
                document=document,
                actor=actor,
                data=dict(data),
            )
            for (user_id, kind, data), seq in zip(rows, seqs, strict=True)
        ]
    )
    if any(n.pk is None for n in notices):  # backends without RETURNING on bulk insert
        by_key = {
            (n.recipient_id, n.seq): n.pk
            for n in Notice.objects.filter(
                recipient_id__in={n.recipient_id for n in notices},
                seq__in={n.seq for n in notices},
            ).only("pk", "recipient_id", "seq")
        }
        for notice in notices:
            notice.pk = by_key[(notice.recipient_id, notice.seq)]
    return notices


def mark_read(
    user: User, notice_ids: Iterable[int] | None = None, document: Document | None = None
) -> int:
    """Mark some (or all) of the user's notices read; returns how many changed."""
    unread = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        unread = unread.filter(pk__in=list(notice_ids))
    if document is not None:
        unread = unread.filter(document=document)
    changed = unread.update(read_at=timezone.now())
    if changed:
        transaction.on_commit(
            lambda: send_to_groups([(user_group(user.pk), {"type": "notices.read"})]), robust=True
        )
    return changed


def close_user_sockets(user_id: int) -> None:
    """A deactivated user's open websockets are closed (the session is read only at connect)."""
    send_to_groups([(user_group(user_id), {"type": "session.close"})])


def close_session_sockets(session_key: str) -> None:
    send_to_groups([(session_group(session_key), {"type": "session.close"})])


def announce_document_change(document: Document, change: str) -> None:
    """After commit, tell pages showing the document that it changed (ids only)."""
    document_id = document.pk
    transaction.on_commit(
        lambda: send_to_groups(
            [
                (
                    document_group(document_id),
                    {"type": "document.changed", "document_id": document_id, "change": change},
                )
            ]
        ),
        robust=True,
    )
