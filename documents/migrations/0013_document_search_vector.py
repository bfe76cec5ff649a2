"""On PostgreSQL, a stored full-text column for the register's search (issue 5).

``search_vector`` is ``to_tsvector('simple', search_text)`` kept by the database itself
(a generated column: every INSERT and UPDATE of ``search_text`` recomputes it, COPY too),
with a GIN index, ``document_search_vector_idx``. It replaces the expression index
``document_words_idx`` of migration 0010: a search of common words walks the newest
documents and tests each row; testing a stored vector costs a few microseconds where
computing ``to_tsvector`` of the text cost ~19 (docs/PERFORMANCE.md, "Search at scale").
``documents.search`` names the column in its lookups; it is not a model field, since
SQLite has no ``tsvector`` (there the search stays a substring match).

Upgrading rewrites the documents table (``ADD COLUMN … STORED`` computes every row, under an
exclusive lock: 2 minutes for a million documents on the benchmark machine, with the index
build — see PERFORMANCE.md); the index is then built CONCURRENTLY, the old one dropped, and
the table vacuumed.
"""

from django.db import migrations

ADD_COLUMN = (
    "ALTER TABLE documents_document ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED"
)
CREATE_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS document_search_vector_idx "
    "ON documents_document USING gin (search_vector)"
)
OLD_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS document_words_idx "
    "ON documents_document USING gin (to_tsvector('simple', search_text))"
)


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(ADD_COLUMN)
    schema_editor.execute(CREATE_INDEX)
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS document_words_idx")
    # The rewrite left the table without a visibility map (index-only scans, such as those
    # of document_visibility_idx, would read every row until autovacuum came by) and
    # without statistics of the column's words (documents.search.word_shares).
    schema_editor.execute("VACUUM (ANALYZE) documents_document")


def remove_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(OLD_INDEX)
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS document_search_vector_idx")
    schema_editor.execute("ALTER TABLE documents_document DROP COLUMN IF EXISTS search_vector")
    schema_editor.execute("ANALYZE documents_document")


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction
    dependencies = [("documents", "0012_exportjob")]
    operations = [migrations.RunPython(add_search_vector, remove_search_vector)]
