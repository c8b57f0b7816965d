"""Reads of expense claims and their approval steps, always within the
user's scope (404 outside it) or through a step that names the user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.dateparse import parse_date
from viewflow.workflow.models import Task

from approvals import selectors as approvals
from crm.scope import access_object
from expenses.models import ClaimStatus, ExpenseCategory, ExpenseClaim

CLAIM_RELATED = (
    "owner",
    "department",
    "category",
    "opportunity",
    "customer",
    "contact",
)
LIST_RELATED = ("owner", "department", "category", "customer")


@dataclass(frozen=True)
class ClaimFilters:
    status: str = ""
    category: int | None = None
    mine: bool = False
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, query, *, mine: bool = False) -> ClaimFilters:
        status = query.get("status", "")
        category = query.get("category", "")
        return cls(
            status=status if status in ClaimStatus.values else "",
            category=int(category) if category.isdigit() else None,
            mine=mine,
            date_from=parse_date(query.get("from", "") or "")
            if _is_date(query.get("from"))
            else None,
            date_to=parse_date(query.get("to", "") or "") if _is_date(query.get("to")) else None,
        )


def _is_date(value) -> bool:
    try:
        return bool(value) and parse_date(value) is not None
    except ValueError:
        return False


def claim_list(*, user, filters: ClaimFilters) -> QuerySet[ExpenseClaim]:
    """The claims the user sees (their own only, for "my claims"), filtered
    on indexed columns, newest expense first."""
    claims = ExpenseClaim.objects.visible_to(user)
    if filters.mine:
        claims = claims.filter(owner=user)
    if filters.status:
        claims = claims.filter(status=filters.status)
    if filters.category:
        claims = claims.filter(category_id=filters.category)
    if filters.date_from:
        claims = claims.filter(spent_on__gte=filters.date_from)
    if filters.date_to:
        claims = claims.filter(spent_on__lte=filters.date_to)
    return claims.select_related(*LIST_RELATED).order_by("-spent_on", "-id")


def categories() -> list[ExpenseCategory]:
    return list(ExpenseCategory.objects.filter(is_active=True))


def access_claim(*, user, pk) -> ExpenseClaim:
    return access_object(ExpenseClaim.objects.select_related(*CLAIM_RELATED), user=user, pk=pk)


def claim_for_task(task: Task) -> ExpenseClaim:
    return ExpenseClaim.objects.select_related(*CLAIM_RELATED).get(
        pk=task.process.artifact_object_id
    )


def claim_steps(claim: ExpenseClaim) -> list[Task]:
    """Every approval step of every submission of the claim, oldest first."""
    return approvals.document_steps(ExpenseClaim, claim.pk)


def _with_claim(tasks: QuerySet[Task]) -> QuerySet[Task]:
    claim = ExpenseClaim.objects.filter(pk=OuterRef("process__artifact_object_id"))
    return tasks.select_related("process", "owner").annotate(
        doc_number=Subquery(claim.values("number")[:1]),
        doc_total=Subquery(claim.values("amount")[:1]),
        doc_date=Subquery(claim.values("spent_on")[:1]),
        employee_name=Subquery(claim.values("owner__username")[:1]),
        employee_first=Subquery(claim.values("owner__first_name")[:1]),
        employee_last=Subquery(claim.values("owner__last_name")[:1]),
    )


def claim_inbox_tasks(user) -> QuerySet[Task]:
    """Expense approval steps assigned to the user or open to them."""
    return approvals.waiting_for(_with_claim(approvals.flow_tasks(ExpenseClaim)), user)


def cost_of_sale(**link) -> dict:
    """Σ approved (and waiting) claims linked to a deal or customer, with the
    approved amounts per category: two grouped queries."""
    from decimal import Decimal

    from django.db.models import Count, F, Sum

    claims = ExpenseClaim.objects.filter(**link)
    totals = dict(
        claims.filter(status__in=[ClaimStatus.APPROVED, ClaimStatus.SUBMITTED])
        .values("status")
        .annotate(total=Sum("amount"))
        .values_list("status", "total")
    )
    by_category = list(
        claims.filter(status=ClaimStatus.APPROVED)
        .values("category_id")
        .annotate(
            name=F("category__name"),
            name_en=F("category__name_en"),
            total=Sum("amount"),
            claims=Count("id"),
        )
        .order_by("-total")
    )
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    for row in by_category:
        if english and row["name_en"]:
            row["name"] = row["name_en"]
    zero = Decimal("0.00")
    return {
        "totals": {
            "approved": totals.get(ClaimStatus.APPROVED, zero),
            "submitted": totals.get(ClaimStatus.SUBMITTED, zero),
        },
        "by_category": by_category,
    }
