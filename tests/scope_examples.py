"""One way to build an example record of every scoped model.

The route-wide scope test (tests/test_routes_scope.py) creates one record of
each scoped model outside the test user's scope and calls every object URL
with its key. When an issue adds a scoped model it adds a builder here;
``test_every_scoped_model_has_an_example`` fails until it does.
"""

from __future__ import annotations

from collections.abc import Callable

from customers.models import Contact, Customer, FollowUp
from expenses.models import ExpenseClaim
from projects.models import Contract, Opportunity, Quote, SalesOrder
from service.models import CareTask, ServiceRequest
from tests.factories import (
    make_care_task,
    make_contact,
    make_contract,
    make_customer,
    make_expense_claim,
    make_follow_up,
    make_opportunity,
    make_order,
    make_quote,
    make_service_request,
)

#: model -> builder(owner) returning a saved record owned by ``owner``.
EXAMPLES: dict[type, Callable] = {
    Customer: lambda owner: make_customer(owner),
    Contact: lambda owner: make_contact(make_customer(owner)),
    FollowUp: lambda owner: make_follow_up(make_customer(owner), by=owner),
    Opportunity: lambda owner: make_opportunity(owner),
    Quote: lambda owner: make_quote(owner),
    SalesOrder: lambda owner: make_order(owner),
    Contract: lambda owner: make_contract(owner),
    ServiceRequest: lambda owner: make_service_request(owner),
    CareTask: lambda owner: make_care_task(owner),
    ExpenseClaim: lambda owner: make_expense_claim(owner),
}
