"""Approval rules move from ``projects`` to the approvals engine: the table
stays as it is here (state only); ``0002`` gives it its own name."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("projects", "0009_flow_references_follow_the_topic_packages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApprovalRule",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "document_type",
                            models.CharField(
                                choices=[
                                    ("quote", "Quote"),
                                    ("order", "Sales order"),
                                    ("contract", "Contract"),
                                    ("expense", "Expense claim"),
                                ],
                                db_index=True,
                                max_length=20,
                                verbose_name="document type",
                            ),
                        ),
                        ("name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "level",
                            models.PositiveSmallIntegerField(
                                help_text="Approval order; lower levels decide first.", verbose_name="level"
                            ),
                        ),
                        (
                            "discount_above",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                max_digits=5,
                                null=True,
                                validators=[
                                    django.core.validators.MinValueValidator(0),
                                    django.core.validators.MaxValueValidator(100),
                                ],
                                verbose_name="discount above (%)",
                            ),
                        ),
                        (
                            "amount_above",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                max_digits=14,
                                null=True,
                                verbose_name="amount above",
                            ),
                        ),
                        (
                            "customer_type",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("end_customer", "End customer"),
                                    ("distributor", "Distributor"),
                                    ("partner", "Partner"),
                                ],
                                max_length=20,
                                verbose_name="customer type",
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                        (
                            "approver_role",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="crm.role",
                                verbose_name="approving role",
                            ),
                        ),
                        (
                            "approver_user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="approving user",
                            ),
                        ),
                        (
                            "branch",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="crm.branch",
                                verbose_name="branch",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "projects_approvalrule",
                        "verbose_name": "approval rule",
                        "verbose_name_plural": "approval rules",
                        "ordering": ["document_type", "level", "id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("approver_role__isnull", False),
                                    ("approver_user__isnull", False),
                                    _connector="OR",
                                ),
                                name="approvalrule_has_approver",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
