"""Shared set-up of the quote approval tests: the demo's rules."""

from decimal import Decimal

from crm.models import Role
from projects.models import ApprovalRule, DocumentType


def make_quote_rules() -> list[ApprovalRule]:
    """discount > 10 % → sales manager; > 20 % or amount > 1,000,000 →
    branch manager."""
    role = {r.code: r for r in Role.objects.all()}
    return [
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name="discount > 10 %",
            level=1,
            discount_above=Decimal("10"),
            approver_role=role["sales_manager"],
        ),
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name="discount > 20 %",
            level=2,
            discount_above=Decimal("20"),
            approver_role=role["branch_manager"],
        ),
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name="amount > 1,000,000",
            level=2,
            amount_above=Decimal("1000000"),
            approver_role=role["branch_manager"],
        ),
    ]
