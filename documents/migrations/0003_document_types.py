"""The 29 administrative document types of Decree 30/2020, Art. 7 and Appendix III."""

from django.db import migrations

from documents.reference import ensure_document_types


def create_types(apps, schema_editor):
    ensure_document_types(apps.get_model("documents", "DocumentType"))


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_initial")]
    operations = [migrations.RunPython(create_types, migrations.RunPython.noop)]
