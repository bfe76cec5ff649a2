from django.db import migrations

ROLES = ["clerk", "leader", "department_head", "specialist", "administrator"]


def create_roles(apps, schema_editor):
    Role = apps.get_model("eoffice", "Role")
    for code in ROLES:
        Role.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("eoffice", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
