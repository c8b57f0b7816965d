from decimal import Decimal

import pytest

from approvals.models import ApprovalRule, DocumentType
from crm.models import Role
from expenses.models import ExpenseCategory
from tests.factories import make_employee


@pytest.fixture(autouse=True)
def _notifications_in_english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def finance(org):
    return make_employee(org.east_sales, "finance", username="finance").user


@pytest.fixture
def travel(db):
    return ExpenseCategory.objects.create(name="差旅费", name_en="Travel")


@pytest.fixture
def expense_rules(org):
    """Every claim → sales manager; above 5,000 → finance too."""
    role = {r.code: r for r in Role.objects.all()}
    return [
        ApprovalRule.objects.create(
            document_type=DocumentType.EXPENSE,
            name="manager",
            level=1,
            approver_role=role["sales_manager"],
        ),
        ApprovalRule.objects.create(
            document_type=DocumentType.EXPENSE,
            name="finance",
            level=2,
            amount_above=Decimal("5000"),
            approver_role=role["finance"],
        ),
    ]
