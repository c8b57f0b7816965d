"""Create the eight roles as groups, each with its default data scope."""

from django.db import migrations

ROLES = [
    # code, group name, data scope
    ("sales_rep", "Sales rep", "own"),
    ("sales_manager", "Sales manager", "department"),
    ("branch_manager", "Branch manager", "branch"),
    ("business_secretary", "Business secretary", "branch"),
    ("finance", "Finance", "branch"),
    ("service_agent", "Service agent", "branch"),
    ("hq_executive", "HQ executive", "all"),
    ("admin", "Administrator", "all"),
]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Role = apps.get_model("crm", "Role")
    for code, name, scope in ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        Role.objects.get_or_create(code=code, defaults={"group": group, "data_scope": scope})


def delete_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(role__code__in=[code for code, _, _ in ROLES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_organisation"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
