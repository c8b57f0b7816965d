"""The expenses demo: claims in every state, some in the demo manager's and
finance's inboxes; a second run adds nothing."""

import io

import pytest

from expenses import demo
from expenses.models import Budget, ClaimStatus, ExpenseClaim
from expenses.selectors import claim_inbox_tasks

pytestmark = pytest.mark.django_db


def test_demo_claims_cover_every_state_and_fill_the_inboxes(org, finance):
    demo.seed(options={}, stdout=io.StringIO())
    states = set(ExpenseClaim.objects.values_list("status", flat=True))
    assert states == set(ClaimStatus.values)
    assert claim_inbox_tasks(org.manager).count() == 2
    assert claim_inbox_tasks(finance).count() == 1
    assert Budget.objects.count() == 4
    counts = (ExpenseClaim.objects.count(), Budget.objects.count())
    demo.seed(options={}, stdout=io.StringIO())
    assert (ExpenseClaim.objects.count(), Budget.objects.count()) == counts
