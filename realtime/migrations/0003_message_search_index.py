"""On PostgreSQL, a trigram index lets the substring search over messages use an index."""

from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS message_search_trgm "
        "ON realtime_message USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS message_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("realtime", "0002_messaging"), ("documents", "0004_search_index")]
    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
