"""Demo expenses: categories, the expense approval rules, the admin's
over-budget setting, budgets of the East China sales teams for this month,
quarter and year, and claims in every state, some waiting in the demo
manager's and finance's approval inboxes. Idempotent: a second run adds
nothing that is already there."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.models import ApprovalRule, DocumentType
from approvals.services import Decision, approval_decide
from crm.models import Role
from expenses import budgets, services
from expenses.flows import ExpenseApprovalFlow
from expenses.models import Budget, ExpenseCategory, ExpenseClaim, ExpenseSettings
from projects.models import Opportunity

ORDER = 50  # after the deals
D = Decimal
#: Marks the demo's claims, so a second run knows they exist.
DEMO_NOTE = "演示费用"

CATEGORIES = [
    ("差旅费", "Travel"),
    ("业务招待费", "Entertainment"),
    ("交通费", "Local transport"),
    ("会务费", "Events"),
    ("办公费", "Office supplies"),
]


def seed_categories() -> dict[str, ExpenseCategory]:
    for order, (name, name_en) in enumerate(CATEGORIES, start=1):
        ExpenseCategory.objects.get_or_create(
            name=name, defaults={"name_en": name_en, "order": order}
        )
    return {c.name: c for c in ExpenseCategory.objects.all()}


def seed_rules() -> int:
    if ApprovalRule.objects.filter(document_type=DocumentType.EXPENSE).exists():
        return 0
    roles = {r.code: r for r in Role.objects.all()}
    ApprovalRule.objects.create(
        document_type=DocumentType.EXPENSE,
        name="费用 销售经理审批",
        level=1,
        approver_role=roles["sales_manager"],
    )
    ApprovalRule.objects.create(
        document_type=DocumentType.EXPENSE,
        name="费用 > 5,000 财务审批",
        level=2,
        amount_above=D("5000"),
        approver_role=roles["finance"],
    )
    return 2


def seed_budgets(users, categories) -> int:
    finance = users.get("finance")
    rep = users.get("rep")
    if finance is None or rep is None:
        return 0
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    department = rep.employee.department
    plan = [
        ("差旅费", "month", today.month, D("20000")),
        ("业务招待费", "quarter", quarter, D("30000")),
        ("交通费", "year", 1, D("24000")),
        ("会务费", "quarter", quarter, D("50000")),
    ]
    added = 0
    for name, kind, number, amount in plan:
        starts_on, ends_on = budgets.period_bounds(kind, today.year, number)
        if Budget.objects.filter(
            department=department,
            category=categories[name],
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
            opportunity__isnull=True,
        ).exists():
            continue
        budgets.budget_create(
            by=finance,
            department=department,
            category=categories[name],
            period_kind=kind,
            year=today.year,
            number=number,
            amount=amount,
            note=DEMO_NOTE,
        )
        added += 1
    return added


def _open_step(claim):
    return Task.objects.filter(
        process__artifact_object_id=claim.pk,
        process__flow_class=ExpenseApprovalFlow,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    ).first()


def seed_claims(users, categories) -> int:
    """Claims of the two East Team 1 reps in every state."""
    if ExpenseClaim.objects.filter(description__startswith=DEMO_NOTE).exists():
        return 0
    rep, rep_b = users.get("rep"), users.get("rep_b")
    manager, finance = users.get("manager"), users.get("finance")
    if not all((rep, rep_b, manager, finance)):
        return 0
    today = timezone.localdate()
    deal = Opportunity.objects.visible_to(rep).filter(owner=rep).order_by("id").first()
    # (employee, category, amount, days ago, what, the decisions taken)
    specs = [
        (rep, "差旅费", "1860.00", 3, "上海—南京 高铁及住宿", "draft", []),
        (rep, "业务招待费", "980.00", 2, "客户午餐", "waiting", []),
        (rep_b, "交通费", "126.50", 1, "拜访客户 出租车", "waiting", []),
        (rep, "会务费", "8600.00", 5, "行业展会展位", "waiting", ["manager"]),  # at finance
        (rep_b, "差旅费", "2450.00", 9, "北京出差", "approved", ["manager"]),
        (rep, "差旅费", "6200.00", 12, "西安客户考察", "approved", ["manager", "finance"]),
        (rep_b, "业务招待费", "3300.00", 7, "无发票的招待", "rejected", ["reject"]),
        (rep, "交通费", "88.00", 4, "停车费，需拆分", "returned", ["return"]),
    ]
    for who, category, amount, days, what, _state, decisions in specs:
        claim = services.claim_create(
            by=who,
            category=categories[category],
            amount=D(amount),
            spent_on=today - timedelta(days=days),
            description=f"{DEMO_NOTE}：{what}",
            opportunity=deal if (who == rep and deal is not None and days % 2) else None,
        )
        if _state == "draft":
            continue
        claim = services.claim_submit(claim=claim, by=who)
        for decision in decisions:
            step = _open_step(claim)
            if step is None:
                break
            if decision == "reject":
                approval_decide(
                    task_id=step.pk, by=manager, decision=Decision.REJECT, comment="缺少发票"
                )
            elif decision == "return":
                approval_decide(
                    task_id=step.pk, by=manager, decision=Decision.RETURN, comment="请按日期拆分"
                )
            else:
                approval_decide(
                    task_id=step.pk,
                    by=manager if decision == "manager" else finance,
                    decision=Decision.APPROVE,
                )
    return len(specs)


def seed(*, options, stdout) -> None:
    users = {
        user.username: user
        for user in get_user_model()
        .objects.filter(username__in=["rep", "rep_b", "manager", "finance"])
        .select_related("employee__department")
    }
    with transaction.atomic():
        categories = seed_categories()
        rules = seed_rules()
        ExpenseSettings.objects.get_or_create(pk=1)
        added_budgets = seed_budgets(users, categories)
        claims = seed_claims(users, categories)
    stdout.write(
        f"expenses: {rules} approval rules, {added_budgets} budget lines, {claims} claims created"
    )
