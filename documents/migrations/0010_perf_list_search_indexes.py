"""On PostgreSQL, two indexes for lists and search at a million documents (issue 5).

- ``document_words_idx``: full-text index of ``search_text`` (``simple`` configuration: the
  text is already folded), used by the register's search for whole words
  (``documents.search``). Its statistics, gathered by the ANALYZE below, tell the planner
  how common each word is.
- ``document_visibility_idx``: ``(id) INCLUDE (direction, secrecy, received_at)``. Most
  people see a few thousand documents, found by id from their grants; this lets PostgreSQL
  filter and sort those ids without reading each document's row (index-only).

Built CONCURRENTLY, so that writes go on while they are built on a large register.
"""

from django.db import migrations

INDEXES = {
    "document_words_idx": "USING gin (to_tsvector('simple', search_text))",
    "document_visibility_idx": "(id) INCLUDE (direction, secrecy, received_at)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON documents_document {definition}"
        )
    schema_editor.execute("ANALYZE documents_document")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction
    dependencies = [("documents", "0009_event_reminded")]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
