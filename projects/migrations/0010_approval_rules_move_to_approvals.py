"""Approval rules now belong to the approvals engine (``approvals``
migration 0001 adopts the table); projects forgets them, state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0009_flow_references_follow_the_topic_packages"),
        ("approvals", "0001_approval_rules_from_projects"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApprovalRule")],
            database_operations=[],
        ),
    ]
