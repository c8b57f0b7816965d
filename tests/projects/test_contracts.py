"""Contracts (CON-1, CON-2): plans that add up, execution, dunning, ageing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from projects.contracts.services import (
    contract_create,
    contract_set_plan,
    contract_sign,
    contract_submit,
    execution_record_add,
    instalment_receive,
    mark_overdue_instalments,
    receivables_ageing,
)
from projects.models import Contract, ContractStatus, Instalment, Todo
from tests.factories import make_contract, make_employee, make_opportunity

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def finance(org):
    return make_employee(org.east_sales, "finance", username="finance").user


def signed(contract, by, instalments):
    contract_set_plan(
        contract=contract,
        by=by,
        milestones=[{"kind": "delivery", "due_on": timezone.localdate()}],
        instalments=instalments,
    )
    contract = contract_submit(contract=contract, by=by)
    assert contract.status == ContractStatus.APPROVED  # no contract rules: automatic
    return contract_sign(contract=contract, by=by, signed_on=timezone.localdate())


def test_contracts_come_from_won_deals_only(org, processes):
    deal = make_opportunity(org.rep)
    with pytest.raises(ValidationError):
        contract_create(by=org.rep, title="x", opportunity=deal, amount=1000)
    contract = make_contract(org.rep, amount=500000)
    assert contract.number.startswith("HT") and contract.owner == org.rep


def test_instalments_must_add_up_to_the_amount(org, processes):
    contract = make_contract(org.rep, amount=300000)
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        contract_set_plan(
            contract=contract,
            by=org.rep,
            instalments=[{"due_on": today, "amount": "100000"}, {"due_on": today, "amount": "1"}],
        )
    assert not Instalment.objects.exists()
    with pytest.raises(ValidationError):
        contract_submit(contract=contract, by=org.rep)  # no plan yet
    contract_set_plan(
        contract=contract,
        by=org.rep,
        instalments=[
            {"due_on": today, "amount": "90000"},
            {"due_on": today + timedelta(days=90), "amount": "210000"},
        ],
    )
    assert list(contract.instalments.values_list("sequence", "amount")) == [
        (1, D("90000.00")),
        (2, D("210000.00")),
    ]


def test_dunning_marks_overdue_instalments_once_and_ageing_buckets(org, processes, finance):
    today = timezone.localdate()
    contract = signed(
        make_contract(org.rep, amount=100000),
        org.rep,
        [
            {"due_on": today - timedelta(days=45), "amount": "30000"},
            {"due_on": today - timedelta(days=100), "amount": "20000"},
            {"due_on": today + timedelta(days=10), "amount": "50000"},
        ],
    )
    assert mark_overdue_instalments(today=today) == 2
    assert mark_overdue_instalments(today=today) == 0  # idempotent
    todos = Todo.objects.filter(assignee=org.rep, title__startswith="Dunning")
    assert todos.count() == 2

    ageing = {
        b["key"]: b["amount"] for b in receivables_ageing(user=org.manager, today=today)["buckets"]
    }
    assert ageing == {
        "current": D("50000.00"),
        "d0_30": D("0"),
        "d31_60": D("30000.00"),
        "d61_90": D("0"),
        "d90_plus": D("20000.00"),
    }
    assert receivables_ageing(user=org.rep2, today=today)["total"] == 0  # outside scope

    first = contract.instalments.get(sequence=1)
    with pytest.raises(ValidationError):
        instalment_receive(instalment=first, by=finance, amount=D("30000.01"))
    instalment_receive(instalment=first, by=finance, amount=D("30000"))
    first.refresh_from_db()
    assert first.overdue_since is None and first.dunning_todo.done_at is not None
    for item in contract.instalments.exclude(pk=first.pk):
        instalment_receive(instalment=item, by=finance, amount=item.amount)
    contract.refresh_from_db()
    assert (contract.status, contract.collected_amount) == (ContractStatus.COMPLETED, D("100000"))


def test_execution_records_complete_milestones(org, processes):
    contract = signed(
        make_contract(org.rep, amount=1000),
        org.rep,
        [{"due_on": timezone.localdate(), "amount": "1000"}],
    )
    milestone = contract.milestones.get()
    execution_record_add(
        contract=contract,
        by=org.rep,
        what="设备到货",
        done_on=timezone.localdate(),
        milestone=milestone,
        quantity=D("2"),
    )
    milestone.refresh_from_db()
    assert milestone.done_on == timezone.localdate()
    assert Contract.objects.visible_to(org.rep_b).filter(pk=contract.pk).count() == 0
