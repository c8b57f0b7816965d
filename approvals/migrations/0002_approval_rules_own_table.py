"""The approval rules' table takes the approvals app's name, and their
content type (with the permissions granted on it) follows the model."""

from django.db import migrations


def move_content_type(apps, schema_editor, *, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if ContentType.objects.filter(app_label=target, model="approvalrule").exists():
        return
    ContentType.objects.filter(app_label=source, model="approvalrule").update(app_label=target)


def forwards(apps, schema_editor):
    move_content_type(apps, schema_editor, source="projects", target="approvals")


def backwards(apps, schema_editor):
    move_content_type(apps, schema_editor, source="approvals", target="projects")


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_approval_rules_from_projects"),
        ("projects", "0010_approval_rules_move_to_approvals"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="approvalrule", table=None),
        migrations.RunPython(forwards, backwards),
    ]
