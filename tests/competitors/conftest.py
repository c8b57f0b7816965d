from __future__ import annotations

import pytest

from competitors import services
from projects.deals.services import opportunity_close
from projects.models import LossReason
from tests.factories import make_opportunity


@pytest.fixture
def rivals(db):
    return [
        services.competitor_create(by=None, name=name, strengths="价格低", weaknesses="服务弱")
        for name in ("甲公司", "乙公司", "丙公司")
    ]


@pytest.fixture
def rep_deal(org):
    return make_opportunity(org.rep, expected_amount=200000)


def lose(deal):
    reason = LossReason.objects.order_by("order").first()
    return opportunity_close(opportunity=deal, outcome="lost", by=None, loss_reason=reason)


def win(deal):
    return opportunity_close(opportunity=deal, outcome="won", by=None)
