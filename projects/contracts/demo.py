"""Demo orders and contracts (ORD-1, CON-1, CON-2): orders in every state,
some waiting in the demo ``secretary``'s and ``finance``'s inboxes; contract
approval rules; contracts with plans, one waiting for the manager, one
signed with an overdue instalment and its dunning to-do."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from approvals.models import ApprovalRule, DocumentType
from crm.models import Role
from customers.models import Customer
from projects.catalogue.demo import seed_products
from projects.contracts.services import (
    contract_create,
    contract_set_plan,
    contract_sign,
    contract_submit,
    execution_record_add,
    instalment_receive,
    mark_overdue_instalments,
)
from projects.models import (
    Opportunity,
    Product,
    SalesOrder,
    Stage,
)
from projects.orders import steps as order_flow
from projects.orders.selectors import open_order_task
from projects.orders.services import order_create

User = get_user_model()

#: Marks the demo's orders and contracts, so a second run knows they exist.
DEMO_NOTE = "演示订单：标准产品，款到发货。"
DEMO_CONTRACT_TERMS = "演示合同：按里程碑分期付款。"
DEMO_USERS = ("rep", "rep_b", "manager", "secretary", "finance")
D = Decimal


def seed_contract_rules() -> int:
    if ApprovalRule.objects.filter(document_type=DocumentType.CONTRACT).exists():
        return 0
    roles = {r.code: r for r in Role.objects.all()}
    ApprovalRule.objects.create(
        document_type=DocumentType.CONTRACT,
        name="合同 > 100,000 销售经理审批",
        level=1,
        amount_above=D("100000"),
        approver_role=roles["sales_manager"],
    )
    ApprovalRule.objects.create(
        document_type=DocumentType.CONTRACT,
        name="合同 > 500,000 财务审批",
        level=2,
        amount_above=D("500000"),
        approver_role=roles["finance"],
    )
    return 2


def seed_orders(stdout) -> None:
    """Rules, demo orders and contracts; prints what it added."""
    seed_products()
    rules = seed_contract_rules()
    stdout.write(f"orders: {rules} contract approval rules created")
    if SalesOrder.objects.filter(notes=DEMO_NOTE).exists():
        stdout.write("orders: demo orders exist already")
        return
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERS)}
    missing = set(DEMO_USERS) - set(users)
    if missing:
        stdout.write(f"orders: skipped, demo users missing: {', '.join(sorted(missing))}")
        return
    customers = list(
        Customer.objects.filter(owner=users["rep"], is_archived=False).order_by("id")[:4]
    )
    if not customers:
        stdout.write("orders: skipped, the demo rep has no customers")
        return
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        orders, contracts = _seed(users, customers)
    stdout.write(f"orders: {orders} demo orders and {contracts} demo contracts created")


def _act(order, by, action, **params):
    return order_flow.order_task_act(
        task_id=open_order_task(order).pk, by=by, action=action, **params
    )


@transaction.atomic
def _seed(users: dict, customers: list) -> tuple[int, int]:
    products = list(Product.objects.filter(is_active=True).order_by("code")[:3])
    rep, secretary, finance = users["rep"], users["secretary"], users["finance"]

    def order(index, quantity="4"):
        return order_create(
            by=rep,
            customer=customers[index % len(customers)],
            notes=DEMO_NOTE,
            delivery_address="上海市浦东新区张江路88号",
            payment_terms="款到发货",
            lines=[
                {"product": p, "quantity": D(quantity), "discount": D(i * 5)}
                for i, p in enumerate(products)
            ],
        )

    made = [order(0)]  # a draft
    waiting_review = order(1)  # in the secretary's inbox
    order_flow.order_flow_submit(order=waiting_review, by=rep)
    made.append(waiting_review)
    waiting_finance = order(2)  # in finance's inbox
    order_flow.order_flow_submit(order=waiting_finance, by=rep)
    _act(waiting_finance, secretary, "approve")
    made.append(waiting_finance)
    sent_back = order(3)  # back to the rep with the reason
    order_flow.order_flow_submit(order=sent_back, by=rep)
    _act(sent_back, secretary, "reject", reason="收货地址不完整，请补充联系人和电话。")
    made.append(sent_back)
    partly_delivered = order(0)  # half delivered, in the secretary's inbox
    order_flow.order_flow_submit(order=partly_delivered, by=rep)
    _act(partly_delivered, secretary, "approve")
    _act(partly_delivered, finance, "approve")
    first = partly_delivered.lines.order_by("position").first()
    _act(partly_delivered, secretary, "deliver", quantities={first.pk: D("2")}, note="第一批")
    made.append(partly_delivered)
    for paid_in_full in (False, True):  # collecting (finance's inbox) and completed
        done = order(1, quantity="2")
        order_flow.order_flow_submit(order=done, by=rep)
        _act(done, secretary, "approve")
        _act(done, finance, "approve")
        _act(
            done,
            secretary,
            "deliver",
            quantities={line.pk: line.quantity for line in done.lines.all()},
        )
        done.refresh_from_db()
        amount = done.total if paid_in_full else (done.total / 2).quantize(D("0.01"))
        _act(done, finance, "collect", amount=amount, reference="银行转账")
        made.append(done)

    return len(made), _seed_contracts(users)


def _seed_contracts(users: dict) -> int:
    rep, finance = users["rep"], users["finance"]
    deals = list(Opportunity.objects.filter(owner=rep, status=Stage.Kind.WON).order_by("id")[:3])
    if not deals:
        return 0
    today = timezone.localdate()
    made = 0

    def contract(deal, amount, title, instalments):
        nonlocal made
        made += 1
        c = contract_create(
            by=rep, opportunity=deal, amount=D(amount), title=title, terms=DEMO_CONTRACT_TERMS
        )
        share = (D(amount) / len(instalments)).quantize(D("0.01"))
        amounts = [share] * (len(instalments) - 1) + [D(amount) - share * (len(instalments) - 1)]
        return contract_set_plan(
            contract=c,
            by=rep,
            milestones=[
                {"kind": "delivery", "due_on": today + timedelta(days=10)},
                {"kind": "implementation", "due_on": today + timedelta(days=40)},
                {"kind": "acceptance", "due_on": today + timedelta(days=70)},
            ],
            instalments=[
                {"due_on": today + timedelta(days=offset), "amount": amt}
                for offset, amt in zip(instalments, amounts, strict=True)
            ],
        )

    contract(deals[0], "80000", "标准产品年度采购合同（草稿）", [30, 60])
    waiting = contract(deals[-1], "300000", "BI 平台实施合同", [15, 90, 180])
    contract_submit(contract=waiting, by=rep)  # in the manager's inbox
    signed = contract(deals[0], "90000", "数据看板服务合同", [-75, -10, 60])
    signed = contract_submit(contract=signed, by=rep)  # no rule: approved
    signed = contract_sign(contract=signed, by=rep, signed_on=today - timedelta(days=100))
    first = signed.instalments.get(sequence=1)
    instalment_receive(instalment=first, by=finance, amount=first.amount)
    execution_record_add(
        contract=signed, by=rep, what="完成系统部署", done_on=today - timedelta(days=80)
    )
    mark_overdue_instalments(today=today)  # the second instalment: overdue, dunning to-do
    return made
