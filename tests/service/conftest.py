"""Service fixtures: service staff in East and South, SLA rules."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from service.models import Priority, RequestType, SlaRule
from tests.factories import DepartmentFactory, make_customer, make_employee

#: A fixed "now" for SLA arithmetic.
NOW = timezone.make_aware(datetime(2026, 3, 2, 9, 0))


@pytest.fixture
def east_service(org):
    return DepartmentFactory(branch=org.east, name="华东服务部")


@pytest.fixture
def agent(east_service):
    return make_employee(east_service, "service_agent", username="agent").user


@pytest.fixture
def agent_b(east_service):
    return make_employee(east_service, "service_agent", username="agent_b").user


@pytest.fixture
def south_agent(org):
    south_service = DepartmentFactory(branch=org.south, name="华南服务部")
    return make_employee(south_service, "service_agent", username="south_agent").user


@pytest.fixture
def sla_rules(db):
    """A default, an urgent, a complaint and a key-account rule."""
    return {
        "default": SlaRule.objects.create(
            name="default", response_hours=8, resolve_hours=72, position=900
        ),
        "urgent": SlaRule.objects.create(
            name="urgent", priority=Priority.URGENT, response_hours=1, resolve_hours=8
        ),
        "complaint": SlaRule.objects.create(
            name="complaint", request_type=RequestType.COMPLAINT, response_hours=2, resolve_hours=48
        ),
        "urgent_complaint_a": SlaRule.objects.create(
            name="urgent complaint of a key account",
            request_type=RequestType.COMPLAINT,
            priority=Priority.URGENT,
            value_grade="A",
            response_hours=1,
            resolve_hours=4,
        ),
    }


@pytest.fixture
def rep_customer(org):
    return make_customer(org.rep, name="张伟的客户有限公司")


@pytest.fixture
def south_customer(org):
    return make_customer(org.rep2, name="黄磊的客户有限公司")
