"""Demo quotes and approval rules (QUO-2, QUO-3), written through the services.

``seed_quotes(stdout)`` adds the quote approval rules (discount > 10 % → sales
manager; > 20 % or amount > 1,000,000 → branch manager) and, once, quotes of
the demo reps in every state: draft, approved automatically, waiting in the
demo sales manager's inbox, waiting in the branch manager's inbox after the
first level, rejected back to draft with the reason, withdrawn, approved,
sent, and revised into a second version. Running it again adds nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from viewflow.workflow.models import Task

from approvals.models import ApprovalRule, DocumentType
from approvals.services import Decision, approval_decide
from crm.models import Role
from projects.catalogue.demo import seed_products
from projects.models import (
    Opportunity,
    Product,
    Quote,
    Stage,
)
from projects.quotes.services import (
    quote_create,
    quote_mark_sent,
    quote_revise,
    quote_submit,
    quote_withdraw,
)

User = get_user_model()

#: Marks the demo's quotes, so a second run knows they exist.
DEMO_TERMS = "演示报价：合同签订后30日内付款，含一年免费维保。"

RULES = [
    # (name, level, discount above, amount above, role)
    ("折扣超过10% / Discount above 10 %", 1, Decimal("10"), None, Role.Code.SALES_MANAGER),
    ("折扣超过20% / Discount above 20 %", 2, Decimal("20"), None, Role.Code.BRANCH_MANAGER),
    (
        "金额超过100万 / Amount above 1,000,000",
        2,
        None,
        Decimal("1000000"),
        Role.Code.BRANCH_MANAGER,
    ),
]


def seed_rules() -> int:
    if ApprovalRule.objects.filter(document_type=DocumentType.QUOTE).exists():
        return 0
    roles = {role.code: role for role in Role.objects.all()}
    for name, level, discount, amount, role in RULES:
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name=name,
            level=level,
            discount_above=discount,
            amount_above=amount,
            approver_role=roles[role],
        )
    return len(RULES)


def _pending_step(quote: Quote):
    return Task.objects.get(
        process__artifact_object_id=quote.pk,
        flow_task_type="HUMAN",
        status__in=["NEW", "ASSIGNED"],
    )


def _deals(username: str) -> list[Opportunity]:
    return list(
        Opportunity.objects.filter(
            owner__username=username, status__in=[Stage.Kind.OPEN, Stage.Kind.WON]
        ).order_by("id")[:6]
    )


def seed_quotes(stdout) -> None:
    """Rules and demo quotes; prints what it added."""
    seed_products()
    rules = seed_rules()
    stdout.write(f"quotes: {rules} approval rules created")
    if Quote.objects.filter(terms=DEMO_TERMS).exists():
        stdout.write("quotes: demo quotes exist already")
        return
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERS)}
    missing = set(DEMO_USERS) - set(users)
    if missing:
        stdout.write(f"quotes: skipped, demo users missing: {', '.join(sorted(missing))}")
        return
    deals = {name: _deals(name) for name in ("rep", "rep_b")}
    if not all(deals.values()):
        stdout.write("quotes: skipped, the demo reps have no open deals")
        return
    # The demo prints e-mails to the console; seeding should not.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        created = _seed_quotes(users, deals)
    stdout.write(f"quotes: {created} demo quotes created")


DEMO_USERS = ("rep", "rep_b", "manager", "branch_mgr")


@transaction.atomic
def _seed_quotes(users: dict, deals: dict) -> int:
    products = {p.code: p for p in Product.objects.filter(is_active=True)}
    rep, rep_b, manager, branch_mgr = (users[name] for name in DEMO_USERS)
    valid_until = timezone.localdate() + timedelta(days=30)

    def quote(owner, deal_index, lines):
        deal = deals[owner.username][deal_index % len(deals[owner.username])]
        return quote_create(
            opportunity=deal,
            by=owner,
            valid_until=valid_until,
            terms=DEMO_TERMS,
            lines=[
                {"product": products[code], "quantity": Decimal(qty), "discount": Decimal(disc)}
                for code, qty, disc in lines
            ],
        )

    made = []
    # a draft
    made.append(quote(rep, 0, [("P-BI-01", "1", "5"), ("P-IMP-01", "20", "0")]))
    # no rule applies: approved automatically
    auto = quote(rep, 1, [("P-CRM-01", "50", "8")])
    made.append(quote_submit(quote=auto, by=rep))
    # 15 %: waiting in the sales manager's inbox
    waiting = quote(rep, 2, [("P-ERP-01", "1", "15"), ("P-IMP-01", "30", "10")])
    made.append(quote_submit(quote=waiting, by=rep))
    # 25 %: the manager approved, waiting in the branch manager's inbox
    second = quote(rep_b, 0, [("P-MES-01", "1", "25")])
    quote_submit(quote=second, by=rep_b)
    approval_decide(
        task_id=_pending_step(second).pk,
        by=manager,
        decision=Decision.APPROVE,
        comment="同意，请分公司审批。",
    )
    made.append(second)
    # over 1,000,000 at list price: the branch manager decides alone
    big = quote(rep, 3, [("P-ERP-02", "1", "0"), ("P-SRV-01", "2", "0")])
    made.append(quote_submit(quote=big, by=rep))
    # rejected by the manager: back to draft with the reason
    rejected = quote(rep, 4, [("P-BI-01", "2", "18")])
    quote_submit(quote=rejected, by=rep)
    approval_decide(
        task_id=_pending_step(rejected).pk,
        by=manager,
        decision=Decision.REJECT,
        comment="折扣过高，请控制在10%以内后重新提交。",
    )
    made.append(rejected)
    # submitted and withdrawn before anyone decided
    withdrawn = quote(rep_b, 1, [("P-STO-01", "3", "12")])
    quote_submit(quote=withdrawn, by=rep_b)
    made.append(quote_withdraw(quote=withdrawn, by=rep_b))
    # approved by both levels, sent, then revised into version 2
    approved = quote(rep, 5, [("P-MES-01", "1", "22"), ("P-IMP-01", "40", "5")])
    quote_submit(quote=approved, by=rep)
    approval_decide(
        task_id=_pending_step(approved).pk, by=manager, decision=Decision.APPROVE, comment="同意。"
    )
    approval_decide(task_id=_pending_step(approved).pk, by=branch_mgr, decision=Decision.APPROVE)
    quote_mark_sent(quote=approved, by=rep)
    made.append(quote_revise(quote=approved, by=rep))
    # approved at the first level only, then sent
    sent = quote(rep_b, 2, [("P-NET-01", "2", "12")])
    quote_submit(quote=sent, by=rep_b)
    approval_decide(task_id=_pending_step(sent).pk, by=manager, decision=Decision.APPROVE)
    made.append(quote_mark_sent(quote=sent, by=rep_b))
    return Quote.objects.filter(terms=DEMO_TERMS).count()
