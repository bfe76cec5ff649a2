"""Each grant knows its place in its holder's incoming register (issue 5).

``register_order`` is the document's arrival time when the grant opens an incoming
document, NULL otherwise (outgoing documents; a department's grant on a confidential one,
which never opens it). With the partial indexes below, a register read from a user's
grants finds its newest rows by index instead of probing every granted document
(``documents.permissions.GrantedRegister``).

PostgreSQL keeps the column itself, so that every way a grant is written (bulk grants,
guardian's ``assign_perm``, the benchmark's COPY) and every change of a document's
arrival, direction or secrecy is covered: a BEFORE INSERT trigger on both grant tables,
and an AFTER UPDATE trigger on documents. Existing grants are filled here: 5 min 55 s for
the 4.7 million grants of the benchmark's million documents (on the 2-core benchmark
machine, with other work running), during which grants cannot be written. On SQLite the
column stays empty and lists take the general path.
"""

from django.conf import settings
from django.db import migrations, models

GRANT_FUNCTION = """
CREATE OR REPLACE FUNCTION documents_grant_register_order() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- No row (outgoing, or a department's grant on a confidential document): NULL.
    SELECT d.received_at INTO NEW.register_order FROM documents_document d
     WHERE d.id = NEW.content_object_id AND d.direction = 'incoming'
       AND (TG_ARGV[0] = 'user' OR d.secrecy = 0);
    RETURN NEW;
END $$
"""
DOCUMENT_FUNCTION = """
CREATE OR REPLACE FUNCTION documents_document_register_order() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE documents_documentuserobjectpermission
       SET register_order = CASE WHEN NEW.direction = 'incoming' THEN NEW.received_at END
     WHERE content_object_id = NEW.id;
    UPDATE documents_documentgroupobjectpermission
       SET register_order =
           CASE WHEN NEW.direction = 'incoming' AND NEW.secrecy = 0 THEN NEW.received_at END
     WHERE content_object_id = NEW.id;
    RETURN NULL;
END $$
"""
TRIGGERS = [
    "CREATE TRIGGER documents_user_grant_register_order BEFORE INSERT OR UPDATE OF "
    "content_object_id ON documents_documentuserobjectpermission FOR EACH ROW "
    "EXECUTE FUNCTION documents_grant_register_order('user')",
    "CREATE TRIGGER documents_group_grant_register_order BEFORE INSERT OR UPDATE OF "
    "content_object_id ON documents_documentgroupobjectpermission FOR EACH ROW "
    "EXECUTE FUNCTION documents_grant_register_order('group')",
    "CREATE TRIGGER documents_document_register_order AFTER UPDATE OF received_at, secrecy, "
    "direction ON documents_document FOR EACH ROW WHEN ("
    "OLD.received_at IS DISTINCT FROM NEW.received_at OR OLD.secrecy IS DISTINCT FROM "
    "NEW.secrecy OR OLD.direction IS DISTINCT FROM NEW.direction) "
    "EXECUTE FUNCTION documents_document_register_order()",
]
BACKFILL = [
    "UPDATE documents_documentuserobjectpermission g SET register_order = d.received_at "
    "FROM documents_document d WHERE d.id = g.content_object_id AND d.direction = 'incoming'",
    "UPDATE documents_documentgroupobjectpermission g SET register_order = d.received_at "
    "FROM documents_document d WHERE d.id = g.content_object_id AND d.direction = 'incoming' "
    "AND d.secrecy = 0",
    # Statistics for the new column now; autovacuum then clears the rewritten rows (until
    # it has, index-only reads of the new indexes visit the table too).
    "ANALYZE documents_documentuserobjectpermission",
    "ANALYZE documents_documentgroupobjectpermission",
]
DROP = [
    "DROP TRIGGER IF EXISTS documents_user_grant_register_order "
    "ON documents_documentuserobjectpermission",
    "DROP TRIGGER IF EXISTS documents_group_grant_register_order "
    "ON documents_documentgroupobjectpermission",
    "DROP TRIGGER IF EXISTS documents_document_register_order ON documents_document",
    "DROP FUNCTION IF EXISTS documents_grant_register_order()",
    "DROP FUNCTION IF EXISTS documents_document_register_order()",
]


def keep_register_order(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in [GRANT_FUNCTION, DOCUMENT_FUNCTION, *TRIGGERS, *BACKFILL]:
        schema_editor.execute(statement)


def forget_register_order(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("documents", "0014_document_index_diet"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="documentgroupobjectpermission",
            name="register_order",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="documentuserobjectpermission",
            name="register_order",
            field=models.DateTimeField(editable=False, null=True),
        ),
        # Filled before the indexes are built (a million-document agency: minutes).
        migrations.RunPython(keep_register_order, forget_register_order),
        migrations.AddIndex(
            model_name="documentgroupobjectpermission",
            index=models.Index(
                condition=models.Q(("register_order__isnull", False)),
                fields=["group", "permission", "register_order", "content_object"],
                name="doc_group_register_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="documentuserobjectpermission",
            index=models.Index(
                condition=models.Q(("register_order__isnull", False)),
                fields=["user", "permission", "register_order", "content_object"],
                name="doc_user_register_idx",
            ),
        ),
    ]
