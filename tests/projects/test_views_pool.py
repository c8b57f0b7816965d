"""The opportunity pool (OPP-2): reps claim, managers assign many at once
seeing each rep's open deals; all within the branch."""

import pytest
from django.urls import reverse

from projects.models import Opportunity
from tests.factories import make_customer, make_opportunity

pytestmark = pytest.mark.django_db

POOL = "/projects/pool/"
ASSIGN = "/projects/pool/assign/"


def claim_url(deal):
    return reverse("projects:pool:claim", kwargs={"pk": deal.pk})


@pytest.fixture
def pooled(org, stages):
    """Two deals in the pool of East team 1, one in the South's."""
    customer = make_customer(org.manager)
    return {
        "east1": make_opportunity(None, customer=customer, by=org.manager, title="东区池一"),
        "east2": make_opportunity(None, customer=customer, by=org.manager, title="东区池二"),
        "south": make_opportunity(
            None, customer=make_customer(org.rep2), by=org.rep2, title="南区池"
        ),
    }


def test_rep_sees_the_branch_pool_and_claims_a_deal(org, client, pooled):
    client.force_login(org.rep)
    page = client.get(POOL)
    assert [d.title for d in page.context["page_obj"]] == ["东区池二", "东区池一"]
    assert 'name="ids"' not in page.content.decode()  # reps do not assign

    response = client.post(claim_url(pooled["east1"]))

    deal = Opportunity.objects.get(pk=pooled["east1"].pk)
    assert response.status_code == 302 and response.url == deal.get_absolute_url()
    assert deal.owner == org.rep
    assert deal.history.first().history_change_reason == "Claimed from the pool"

    # Gone from the pool: a colleague who does not see it now gets a 404; a
    # manager who sees it is told it left the pool; nothing changes.
    client.force_login(org.rep_b)
    assert client.post(claim_url(pooled["east1"])).status_code == 404
    client.force_login(org.manager)
    response = client.post(claim_url(pooled["east1"]), follow=True)
    assert "This deal is no longer in the pool." in response.content.decode()
    deal.refresh_from_db()
    assert deal.owner == org.rep


def test_a_deal_of_another_branch_cannot_be_claimed(org, client, pooled):
    client.force_login(org.rep)
    assert client.post(claim_url(pooled["south"])).status_code == 404
    assert client.get(claim_url(pooled["south"])).status_code == 404
    pooled["south"].refresh_from_db()
    assert pooled["south"].owner is None


def test_manager_assigns_many_and_sees_open_deal_counts(org, client, pooled):
    make_opportunity(org.rep_b)
    make_opportunity(org.rep_b)
    client.force_login(org.manager)

    page = client.get(POOL)
    reps = {rep.user_id: rep.open_deals for rep in page.context["reps"]}
    assert reps[org.rep_b.pk] == 2 and reps[org.rep.pk] == 0
    assert 'data-open-deals="2"' in page.content.decode()

    response = client.post(
        ASSIGN, {"owner": org.rep.pk, "ids": [pooled["east1"].pk, pooled["east2"].pk]}
    )

    assert response.status_code == 302
    assert set(Opportunity.objects.filter(owner=org.rep).values_list("title", flat=True)) == {
        "东区池一",
        "东区池二",
    }
    page = client.get(POOL)
    assert {rep.user_id: rep.open_deals for rep in page.context["reps"]}[org.rep.pk] == 2


def test_assignment_is_all_or_nothing(org, client, pooled):
    client.force_login(org.manager)
    response = client.post(
        ASSIGN, {"owner": org.rep.pk, "ids": [pooled["east1"].pk, pooled["south"].pk]}
    )
    assert response.status_code == 400
    assert "nothing was assigned" in response.content.decode()
    assert not Opportunity.objects.filter(owner=org.rep).exists()

    for data in ({"owner": org.rep.pk}, {"owner": org.rep2.pk, "ids": [pooled["east1"].pk]}):
        assert client.post(ASSIGN, data).status_code == 400
    assert Opportunity.objects.filter(owner__isnull=True).count() == 3


def test_reps_may_not_assign(org, client, pooled):
    client.force_login(org.rep)
    response = client.post(ASSIGN, {"owner": org.rep.pk, "ids": [pooled["east1"].pk]})
    assert response.status_code == 403
    assert Opportunity.objects.filter(owner__isnull=True).count() == 3


def test_pool_page_query_count_does_not_grow(org, client, pooled, django_assert_num_queries):
    client.force_login(org.manager)
    client.get(POOL)
    with django_assert_num_queries(8):
        client.get(POOL)
    customer = make_customer(org.manager)
    for _ in range(5):
        make_opportunity(None, customer=customer, by=org.manager)
    with django_assert_num_queries(8):
        response = client.get(POOL)
    assert len(response.context["page_obj"]) == 7
