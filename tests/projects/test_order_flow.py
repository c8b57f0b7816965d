"""Sales order flow (ORD-1) and contract approval flow (CON-1): steps,
assignees, refusals, concurrent actions and notifications."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from approvals.models import ApprovalRule, DocumentType
from approvals.services import NOT_YOUR_TASK, ApprovalConflict, Decision, approval_decide
from crm.models import Notification, Role
from crm.money import format_money
from projects.contracts.flows import ContractApprovalFlow
from projects.contracts.services import (
    OWN_CONTRACT,
    contract_processes,
    contract_set_plan,
    contract_sign,
    contract_submit,
)
from projects.models import (
    ContractStatus,
    OrderStatus,
)
from projects.orders import steps as order_flow
from projects.orders.flows import SalesOrderFlow
from projects.orders.services import (
    OVER_COLLECTION,
    OVER_DELIVERY,
)
from tests.factories import make_contract, make_employee, make_order
from tests.projects.approval_helpers import at_once

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def finance(org):
    return make_employee(org.east_sales, "finance", username="finance").user


def open_step(flow_class, obj):
    return Task.objects.get(
        process__artifact_object_id=obj.pk,
        process__flow_class=flow_class,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def act(order, by, action, **params):
    return order_flow.order_task_act(
        task_id=open_step(SalesOrderFlow, order).pk, by=by, action=action, **params
    )


def test_an_order_walks_review_recheck_partial_deliveries_and_collections(
    org, finance, mailoutbox, django_capture_on_commit_callbacks
):
    order = make_order(org.rep, quantity=10)
    line = order.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        order_flow.order_flow_submit(order=order, by=org.rep)
    step = open_step(SalesOrderFlow, order)
    assert (step.flow_task.name, step.owner, step.data["assignees"]) == (
        "business_review",
        org.secretary,
        [org.secretary.pk],
    )
    assert Notification.objects.filter(recipient=org.secretary).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        act(order, org.secretary, "approve")
    step = open_step(SalesOrderFlow, order)
    assert (step.flow_task.name, step.owner) == ("finance_review", finance)
    assert Notification.objects.filter(recipient=finance).count() == 1

    act(order, finance, "approve", reason="credit ok")
    assert open_step(SalesOrderFlow, order).flow_task.name == "deliver"

    with django_capture_on_commit_callbacks(execute=True):
        act(order, org.secretary, "deliver", quantities={line.pk: D("4")})
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERY
    second = open_step(SalesOrderFlow, order)
    assert second.flow_task.name == "deliver"
    # a further partial delivery is not announced again
    assert Notification.objects.filter(recipient=org.secretary).count() == 2

    act(order, org.secretary, "deliver", quantities={line.pk: D("6")})
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTION
    assert open_step(SalesOrderFlow, order).flow_task.name == "collect"

    act(order, finance, "collect", amount=D("1000000"))
    assert open_step(SalesOrderFlow, order).flow_task.name == "collect"
    with django_capture_on_commit_callbacks(execute=True):
        act(order, finance, "collect", amount=order.total - D("1000000"))
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    process = order_flow.order_processes(order).get()
    assert process.status == PROCESS.DONE
    assert list(
        process.task_set.filter(flow_task_type="HUMAN")
        .order_by("created", "id")
        .values_list("owner__username", "data__outcome")
    ) == [
        ("secretary", "approved"),
        ("finance", "approved"),
        ("secretary", "delivered"),
        ("secretary", "delivered"),
        ("finance", "collected"),
        ("finance", "collected"),
    ]
    assert Notification.objects.get(recipient=org.rep).title == f"Order {order} is completed"


@pytest.mark.parametrize("reviewer", ["secretary", "finance"])
def test_a_review_sends_the_order_back_with_the_reason_and_it_can_be_resubmitted(
    org, finance, reviewer, django_capture_on_commit_callbacks
):
    order = make_order(org.rep)
    order_flow.order_flow_submit(order=order, by=org.rep)
    if reviewer == "finance":
        act(order, org.secretary, "approve")
    user = org.secretary if reviewer == "secretary" else finance

    with pytest.raises(ValidationError):
        act(order, user, "reject", reason="  ")
    assert open_step(SalesOrderFlow, order).status == STATUS.ASSIGNED

    with django_capture_on_commit_callbacks(execute=True):
        act(order, user, "reject", reason="Wrong price")
    order.refresh_from_db()
    assert (order.status, order.rejection_reason) == (OrderStatus.DRAFT, "Wrong price")
    assert order_flow.order_processes(order).get().status == PROCESS.DONE
    note = Notification.objects.get(recipient=org.rep)
    assert (note.title, note.body) == (f"Order {order} was sent back", "Wrong price")

    order_flow.order_flow_submit(order=order, by=org.rep)
    assert order_flow.order_processes(order).count() == 2
    assert open_step(SalesOrderFlow, order).flow_task.name == "business_review"


def test_wrong_role_other_branch_and_the_owner_are_refused_and_nothing_changes(org, finance):
    order = make_order(org.rep)
    order_flow.order_flow_submit(order=order, by=org.rep)
    step = open_step(SalesOrderFlow, order)
    south_secretary = make_employee(org.south_sales, "business_secretary", username="sec2").user

    for user in (finance, org.manager, org.rep_b, south_secretary):
        with pytest.raises(PermissionDenied) as refused:
            act(order, user, "approve")
        assert str(refused.value) == str(order_flow.NOT_YOUR_TASK)
    with pytest.raises(PermissionDenied) as refused:
        act(order, org.rep, "approve")
    assert str(refused.value) == str(order_flow.OWN_ORDER)

    step.refresh_from_db()
    order.refresh_from_db()
    assert (step.status, step.owner) == (STATUS.ASSIGNED, org.secretary)
    assert order.status == OrderStatus.BUSINESS_REVIEW


def test_the_rep_never_reviews_their_own_order_even_holding_the_role(org, finance):
    # a secretary who also sells enters an order: the other secretary reviews
    seller = make_employee(org.east_sales, "sales_rep", "business_secretary", username="both")
    order = make_order(seller.user)
    order_flow.order_flow_submit(order=order, by=seller.user)
    step = open_step(SalesOrderFlow, order)
    assert step.data["assignees"] == [org.secretary.pk]

    Task.objects.filter(pk=step.pk).update(
        owner=None, status=STATUS.NEW, data={**step.data, "assignees": [seller.user.pk]}
    )
    with pytest.raises(PermissionDenied) as refused:
        act(order, seller.user, "approve")
    assert str(refused.value) == str(order_flow.OWN_ORDER)
    order.refresh_from_db()
    assert order.status == OrderStatus.BUSINESS_REVIEW


def test_bad_delivery_and_collection_are_refused_and_nothing_changes(org, finance):
    order = make_order(org.rep, quantity=3)
    line = order.lines.get()
    order_flow.order_flow_submit(order=order, by=org.rep)
    act(order, org.secretary, "approve")
    act(order, finance, "approve")

    with pytest.raises(ValidationError) as refused:
        act(order, org.secretary, "deliver", quantities={line.pk: D("4")})
    assert refused.value.messages == [OVER_DELIVERY % {"position": 1, "open": D("3.00")}]
    line.refresh_from_db()
    assert line.delivered_quantity == 0 and not order.deliveries.exists()
    assert open_step(SalesOrderFlow, order).status == STATUS.ASSIGNED

    act(order, org.secretary, "deliver", quantities={line.pk: D("3")})
    order.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        act(order, finance, "collect", amount=order.total + D("0.01"))
    assert refused.value.messages == [OVER_COLLECTION % {"outstanding": format_money(order.total)}]
    assert not order.collections.exists()


def test_submission_needs_a_reviewer_in_the_branch(org):
    order = make_order(org.rep)  # no finance user in the east branch
    with pytest.raises(ValidationError) as refused:
        order_flow.order_flow_submit(order=order, by=org.rep)
    assert "Finance re-check" in refused.value.messages[0]
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    assert not order_flow.order_processes(order).exists()


def test_an_order_step_already_done_tells_who_did_it(org, finance):
    secretary2 = make_employee(org.east_sales, "business_secretary", username="secretary2").user
    order = make_order(org.rep)
    order_flow.order_flow_submit(order=order, by=org.rep)
    step = open_step(SalesOrderFlow, order)
    assert step.owner is None
    order_flow.order_task_act(task_id=step.pk, by=org.secretary, action="approve")

    with pytest.raises(ApprovalConflict) as refused:
        order_flow.order_task_act(task_id=step.pk, by=secretary2, action="reject", reason="no")
    assert refused.value.message == order_flow.ALREADY_DONE % {
        "user": "secretary",
        "outcome": "approved",
    }


@pytest.mark.django_db(transaction=True)
def test_two_secretaries_acting_at_once_record_exactly_one_decision(org):
    make_employee(org.east_sales, "finance", username="finance")
    secretary2 = make_employee(org.east_sales, "business_secretary", username="secretary2").user
    order = make_order(org.rep)
    order_flow.order_flow_submit(order=order, by=org.rep)
    step = open_step(SalesOrderFlow, order)
    outcomes = at_once(
        {
            user.username: lambda user=user, action=action: order_flow.order_task_act(
                task_id=step.pk, by=user, action=action, reason="mine"
            )
            for user, action in ((org.secretary, "approve"), (secretary2, "reject"))
        }
    )

    assert sorted(outcomes) == ["secretary", "secretary2"]
    assert list(outcomes.values()).count("done") == 1
    winner = next(name for name, outcome in outcomes.items() if outcome == "done")
    loser = next(name for name in outcomes if name != winner)
    assert "already done by" in outcomes[loser] and winner in outcomes[loser]
    step.refresh_from_db()
    order.refresh_from_db()
    assert step.status == STATUS.DONE and step.owner.username == winner
    expected = OrderStatus.FINANCE_REVIEW if winner == "secretary" else OrderStatus.DRAFT
    assert order.status == expected


# --- Contract approval ---------------------------------------------------------------


@pytest.fixture
def contract_rules(org):
    role = {r.code: r for r in Role.objects.all()}
    return [
        ApprovalRule.objects.create(
            document_type=DocumentType.CONTRACT,
            name="manager",
            level=1,
            approver_role=role["sales_manager"],
        ),
        ApprovalRule.objects.create(
            document_type=DocumentType.CONTRACT,
            name="finance",
            level=2,
            amount_above=D("100000"),
            approver_role=role["finance"],
        ),
    ]


def planned_contract(owner, amount=300000):
    contract = make_contract(owner, amount=amount)
    return contract_set_plan(
        contract=contract,
        by=owner,
        milestones=[{"kind": "delivery", "due_on": "2030-01-01"}],
        instalments=[
            {"due_on": "2030-01-01", "amount": D(amount) / 2},
            {"due_on": "2030-06-01", "amount": D(amount) / 2},
        ],
    )


def test_a_contract_is_approved_by_manager_then_finance_and_signed(
    org, finance, contract_rules, django_capture_on_commit_callbacks
):
    contract = planned_contract(org.rep)
    with django_capture_on_commit_callbacks(execute=True):
        contract = contract_submit(contract=contract, by=org.rep)
    assert contract.status == ContractStatus.SUBMITTED
    assert [(s["role"], s["approvers"]) for s in contract.approval_chain] == [
        ("sales_manager", [org.manager.pk]),
        ("finance", [finance.pk]),
    ]
    step = open_step(ContractApprovalFlow, contract)
    assert step.owner == org.manager
    assert Notification.objects.filter(recipient=org.manager).count() == 1

    with pytest.raises(PermissionDenied):
        approval_decide(task_id=step.pk, by=finance, decision=Decision.APPROVE)
    approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)
    second = open_step(ContractApprovalFlow, contract)
    assert second.owner == finance
    approval_decide(task_id=second.pk, by=finance, decision=Decision.APPROVE)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.APPROVED

    contract = contract_sign(contract=contract, by=org.rep, signed_on="2030-01-01")
    assert contract.status == ContractStatus.SIGNED


def test_a_rejected_contract_goes_back_to_draft_and_the_submitter_cannot_decide(
    org, finance, contract_rules
):
    contract = contract_submit(contract=planned_contract(org.rep), by=org.rep)
    step = open_step(ContractApprovalFlow, contract)
    Task.objects.filter(pk=step.pk).update(
        owner=None, status=STATUS.NEW, data={**step.data, "approvers": [org.rep.pk]}
    )
    with pytest.raises(PermissionDenied) as refused:
        approval_decide(task_id=step.pk, by=org.rep, decision=Decision.APPROVE)
    assert str(refused.value) == str(OWN_CONTRACT)
    Task.objects.filter(pk=step.pk).update(
        owner=org.manager, status=STATUS.ASSIGNED, data={**step.data}
    )
    with pytest.raises(ValidationError):
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.REJECT)

    approval_decide(task_id=step.pk, by=org.manager, decision=Decision.REJECT, comment="No")
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT
    with pytest.raises(ApprovalConflict):
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)


def test_a_contract_step_refuses_the_wrong_role_and_changes_nothing(org, finance, contract_rules):
    contract = contract_submit(contract=planned_contract(org.rep), by=org.rep)
    step = open_step(ContractApprovalFlow, contract)  # the manager's level
    for outsider in (finance, org.secretary, org.rep_b, org.branch_mgr):
        with pytest.raises(PermissionDenied) as refused:
            approval_decide(task_id=step.pk, by=outsider, decision=Decision.APPROVE)
        assert str(refused.value) == str(NOT_YOUR_TASK)
    step.refresh_from_db()
    contract.refresh_from_db()
    assert (step.status, step.owner, contract.status) == (
        STATUS.ASSIGNED,
        org.manager,
        ContractStatus.SUBMITTED,
    )


@pytest.mark.django_db(transaction=True)
def test_two_managers_deciding_a_contract_at_once_record_exactly_one_decision(org):
    role = Role.objects.get(code="sales_manager")
    ApprovalRule.objects.create(
        document_type=DocumentType.CONTRACT, name="manager", level=1, approver_role=role
    )
    manager2 = make_employee(org.team1, "sales_manager", username="manager2").user
    contract = contract_submit(contract=planned_contract(org.rep), by=org.rep)
    step = open_step(ContractApprovalFlow, contract)
    assert step.status == STATUS.NEW and sorted(step.data["approvers"]) == sorted(
        [org.manager.pk, manager2.pk]
    )  # a shared queue: either may take it
    outcomes = at_once(
        {
            user.username: lambda user=user, approve=approve: approval_decide(
                task_id=step.pk,
                by=user,
                decision=Decision.APPROVE if approve else Decision.REJECT,
                comment="mine",
            )
            for user, approve in ((org.manager, True), (manager2, False))
        }
    )

    assert sorted(outcomes) == ["manager", "manager2"]
    assert list(outcomes.values()).count("done") == 1
    winner = next(name for name, outcome in outcomes.items() if outcome == "done")
    step.refresh_from_db()
    contract.refresh_from_db()
    assert step.status == STATUS.DONE and step.owner.username == winner
    expected = ContractStatus.APPROVED if winner == "manager" else ContractStatus.DRAFT
    assert contract.status == expected
    assert (
        Task.objects.filter(
            process_id=step.process_id, flow_task_type="HUMAN", data__has_key="outcome"
        ).count()
        == 1
    )


def test_no_contract_rule_approves_at_once(org):
    contract = contract_submit(contract=planned_contract(org.rep), by=org.rep)
    assert contract.status == ContractStatus.APPROVED
    assert not contract_processes(contract).exists()


def test_demo_orders_cover_every_state_and_fill_the_secretary_and_finance_inboxes(org, finance):
    import io

    from projects.contracts.demo import (
        DEMO_NOTE,
        seed_orders,
    )
    from projects.contracts.selectors import contract_inbox_tasks
    from projects.deals.services import opportunity_close
    from projects.models import Contract, Instalment, SalesOrder, Stage, Todo
    from projects.orders.selectors import order_inbox_tasks
    from tests.factories import make_customer, make_opportunity

    make_customer(org.rep)
    deal = make_opportunity(org.rep)
    opportunity_close(opportunity=deal, outcome=Stage.Kind.WON, by=org.rep)
    out = io.StringIO()

    seed_orders(out)

    orders = SalesOrder.objects.filter(notes=DEMO_NOTE)
    assert set(orders.values_list("status", flat=True)) == set(OrderStatus.values) - {
        OrderStatus.CANCELLED
    }
    assert orders.exclude(rejection_reason="").filter(status=OrderStatus.DRAFT).exists()
    assert order_inbox_tasks(org.secretary).count() == 2  # a review and a delivery
    assert order_inbox_tasks(finance).count() == 2  # a re-check and a collection
    assert contract_inbox_tasks(org.manager).count() == 1
    assert set(Contract.objects.values_list("status", flat=True)) == {
        "draft",
        "submitted",
        "signed",
    }
    overdue = Instalment.objects.get(overdue_since__isnull=False)
    assert Todo.objects.filter(pk=overdue.dunning_todo_id, assignee=org.rep).exists()
    count = orders.count()

    seed_orders(out)

    assert orders.count() == count
    assert "demo orders exist already" in out.getvalue()
