"""Factories for tests. Writes go through the services, as in the app."""

from __future__ import annotations

import itertools

import factory
from django.contrib.auth import get_user_model

from crm.models import Branch, Department, Employee
from crm.services import employee_create
from customers.models import Customer
from customers.services import contact_create, customer_create, follow_up_create

User = get_user_model()
_sequence = itertools.count(1)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"branch{n}")
    name = factory.Sequence(lambda n: f"分公司{n}")
    name_en = factory.Sequence(lambda n: f"Branch {n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"部门{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


def make_employee(
    department: Department, *roles: str, username: str | None = None, **extra
) -> Employee:
    """An active employee with a login and the given role codes."""
    return employee_create(
        username=username or f"user{next(_sequence)}",
        password="correct-horse-battery-staple",
        department=department,
        roles=list(roles),
        **extra,
    )


def make_customer(owner, **fields) -> Customer:
    fields.setdefault("name", f"测试客户{next(_sequence)}有限公司")
    return customer_create(by=owner, **fields)


def make_contact(customer: Customer, **fields):
    fields.setdefault("name", f"联系人{next(_sequence)}")
    return contact_create(by=customer.owner, customer=customer, **fields)


def make_follow_up(customer: Customer, *, by, **fields):
    from django.utils import timezone

    fields.setdefault("kind", "call")
    fields.setdefault("occurred_at", timezone.now())
    fields.setdefault("subject", f"电话沟通{next(_sequence)}")
    return follow_up_create(by=by, customer=customer, **fields)


def make_opportunity(owner, *, customer=None, process=None, **fields):
    """An open deal owned by ``owner`` (``None``: in the pool of ``department``)."""
    from projects.deals import defaults
    from projects.deals.services import opportunity_create
    from projects.models import Process

    defaults.install()  # transactional tests flush what the data migration made
    by = fields.pop("by", owner)
    customer = customer or make_customer(by)
    process = process or Process.objects.get(code="complex")
    fields.setdefault("title", f"测试商机{next(_sequence)}")
    fields.setdefault("expected_amount", 100000)
    return opportunity_create(by=by, customer=customer, process=process, owner=owner, **fields)


def make_quote(owner, *, opportunity=None, discount=0, quantity=1, **fields):
    """A draft quote with one line of the first product under ``owner``'s deal."""
    from datetime import timedelta

    from django.utils import timezone

    from projects.catalogue.demo import seed_products
    from projects.models import Product
    from projects.quotes.services import quote_create

    seed_products()
    opportunity = opportunity or make_opportunity(owner)
    product = Product.objects.order_by("code").first()
    fields.setdefault("valid_until", timezone.localdate() + timedelta(days=30))
    return quote_create(
        opportunity=opportunity,
        by=fields.pop("by", owner),
        lines=[{"product": product, "quantity": quantity, "discount": discount}],
        **fields,
    )


def make_order(owner, *, customer=None, quantity=2, discount=0, **fields):
    """A draft sales order entered directly by ``owner`` (one product line)."""
    from projects.catalogue.demo import seed_products
    from projects.models import Product
    from projects.orders.services import order_create

    seed_products()
    product = Product.objects.order_by("code").first()
    return order_create(
        by=fields.pop("by", owner),
        customer=customer or make_customer(owner),
        lines=[{"product": product, "quantity": quantity, "discount": discount}],
        **fields,
    )


def make_contract(owner, *, amount=300000, **fields):
    """A draft contract on a won deal of ``owner``."""
    from projects.contracts.services import contract_create
    from projects.deals.services import opportunity_close
    from projects.models import Stage

    deal = make_opportunity(owner)
    opportunity_close(opportunity=deal, outcome=Stage.Kind.WON, by=owner)
    fields.setdefault("title", f"合同{next(_sequence)}")
    return contract_create(by=owner, opportunity=deal, amount=amount, **fields)


def make_service_request(by, *, customer=None, **fields):
    """A new service request filed by ``by`` for one of their customers."""
    from service.services import service_request_create

    fields.setdefault("request_type", "repair")
    fields.setdefault("subject", f"设备故障{next(_sequence)}")
    return service_request_create(by=by, customer=customer or make_customer(by), **fields)


def make_care_task(owner, *, customer=None, due=None):
    """An open care to-do of ``owner``'s customer, made by a holiday rule."""
    from django.utils import timezone

    from service.care import care_tasks_generate
    from service.models import CareRule, CareTask

    customer = customer or make_customer(owner)
    due = due or timezone.localdate()
    rule = CareRule.objects.create(
        name=f"节日问候{next(_sequence)}",
        kind=CareRule.Kind.HOLIDAY,
        task_title="节日问候",
        holidays=[due],
        branch=customer.branch,
    )
    care_tasks_generate(today=due, rules=[rule])
    return CareTask.objects.get(rule=rule, customer=customer)


def make_expense_claim(owner, *, amount="500", **fields):
    """A draft expense claim of ``owner`` (travel, today)."""
    from decimal import Decimal

    from django.utils import timezone

    from expenses.models import ExpenseCategory
    from expenses.services import claim_create

    category = (
        fields.pop("category", None)
        or (ExpenseCategory.objects.get_or_create(name="差旅费", defaults={"name_en": "Travel"})[0])
    )
    fields.setdefault("spent_on", timezone.localdate())
    return claim_create(by=owner, category=category, amount=Decimal(amount), **fields)
