"""On PostgreSQL, a trigram index serves the register's "issuing body" filter.

``list_incoming`` filters with ``sender_key__contains`` (LIKE '%…%'), which the btree
indexes on ``sender_key`` (exact match, for the duplicate check) cannot serve: at a million
documents the filter walked the whole table, 2-3.5 s for a rare sender; with this index,
~20 ms of SQL (bench/lists.py search, docs/PERFORMANCE.md "Search at scale"). Built
CONCURRENTLY, so that writes go on while it is built on a large register.
"""

from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS document_sender_trgm "
        "ON documents_document USING gin (sender_key gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS document_sender_trgm")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction
    dependencies = [("documents", "0006_history_append_only")]
    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
