"""ORG-4: a handover also moves what the leaving user holds without owning
it -- open to-dos assigned to them and the workflow steps they hold -- with
history, and never makes anyone the approver of their own document."""

from __future__ import annotations

from datetime import date

import pytest
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.services import Decision, approval_decide
from crm.handover import handover_perform, handover_preview
from projects.deals.services import todo_complete, todo_create
from projects.models import QuoteStatus, Todo
from projects.quotes.flows import QuoteApprovalFlow
from projects.quotes.services import quote_submit
from tests.factories import make_employee, make_opportunity, make_quote
from tests.projects.approval_helpers import make_quote_rules

pytestmark = pytest.mark.django_db


def open_step(quote) -> Task:
    return Task.objects.get(
        process__artifact_object_id=quote.pk,
        process__flow_class=QuoteApprovalFlow,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def test_open_to_dos_move_with_history_and_done_ones_stay(org):
    deal = make_opportunity(org.rep)
    todo = todo_create(opportunity=deal, by=org.rep, title="回访", due_date=date(2030, 1, 1))
    done = todo_create(opportunity=deal, by=org.rep, title="报价", due_date=date(2030, 1, 2))
    todo_complete(todo=done, by=org.rep)
    assert ("open to-dos", 1) in handover_preview(from_user=org.rep)

    handover = handover_perform(from_user=org.rep, to_user=org.rep_b, by=org.manager, reason="离职")

    assert handover.summary["projects.Todo"] == 1
    assert Todo.objects.get(pk=todo.pk).assignee == org.rep_b
    assert Todo.objects.get(pk=done.pk).assignee == org.rep
    latest = Todo.history.filter(id=todo.pk).first()
    assert (latest.history_user, latest.history_change_reason) == (org.manager, "离职")


def test_a_claimed_approval_step_moves_and_the_colleague_decides_it(org):
    make_quote_rules()
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = open_step(quote)
    assert step.owner == org.manager  # the only manager: assigned outright
    successor = make_employee(org.team1, "sales_manager", username="manager2").user

    handover = handover_perform(
        from_user=org.manager, to_user=successor, by=org.branch_mgr, reason="调岗"
    )

    step.refresh_from_db()
    assert handover.summary["approvals.Task"] == 1
    assert (step.owner, step.data["approvers"]) == (successor, [successor.pk])
    assert step.data["handovers"][0]["from"] == org.manager.pk
    approval_decide(task_id=step.pk, by=successor, decision=Decision.APPROVE)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED


def test_a_shared_step_names_the_colleague_instead(org):
    make_quote_rules()
    other = make_employee(org.team1, "sales_manager", username="manager2").user
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = open_step(quote)
    assert step.owner is None and sorted(step.data["approvers"]) == sorted(
        [org.manager.pk, other.pk]
    )

    handover_perform(from_user=org.manager, to_user=org.rep_b, by=org.branch_mgr)

    step.refresh_from_db()
    assert step.status == STATUS.NEW
    assert sorted(step.data["approvers"]) == sorted([other.pk, org.rep_b.pk])


def test_the_submitter_never_receives_the_step_of_their_own_document(org):
    make_quote_rules()
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = open_step(quote)
    assert step.owner == org.manager

    handover_perform(from_user=org.manager, to_user=org.rep, by=org.branch_mgr)

    step.refresh_from_db()
    assert (step.owner, step.status) == (None, STATUS.NEW)  # back to the queue
    assert org.rep.pk not in step.data["approvers"]
