"""The history is append-only in the database too: UPDATE and DELETE of its rows fail."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION documents_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'documents_documentevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER documents_event_no_update BEFORE UPDATE OR DELETE ON documents_documentevent
    FOR EACH ROW EXECUTE FUNCTION documents_event_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS documents_event_no_update ON documents_documentevent;
DROP FUNCTION IF EXISTS documents_event_append_only();
"""
# SQLite has no TRUNCATE: Django's test flush deletes rows, so only updates are refused there.
SQLITE_UP = [
    "CREATE TRIGGER documents_event_no_update BEFORE UPDATE ON documents_documentevent "
    "BEGIN SELECT RAISE(ABORT, 'documents_documentevent is append-only'); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS documents_event_no_update",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_sender_key")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
