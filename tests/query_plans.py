"""PostgreSQL query plans for tests that check which index serves a statement."""

from __future__ import annotations

from django.db import connection


def index_plan(queryset) -> str:
    """EXPLAIN of a queryset with sequential scans priced out, so that the tiny test table
    shows which index, if any, can serve the statement."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    return plan
