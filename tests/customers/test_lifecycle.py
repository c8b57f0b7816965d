"""Lifecycle on the customer page and counts per stage, now and at a past date (CUS-3)."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, LifecycleEvent
from customers.selectors import lifecycle_counts
from customers.services import customer_change_stage
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def stage_url(customer):
    return reverse("customers:customer_change_stage", kwargs={"pk": customer.pk})


def detail_url(customer):
    return reverse("customers:customer:detail", kwargs={"pk": customer.pk})


def test_page_highlights_the_current_stage_and_the_path(org, client):
    customer = make_customer(org.rep, lifecycle_stage="solution")
    client.force_login(org.rep)

    response = client.get(detail_url(customer))

    steps = {step["value"]: step["state"] for step in response.context["lifecycle_steps"]}
    assert steps["potential"] == "done" and steps["solution"] == "current"
    assert steps["negotiation"] == "ahead" and steps["repeat"] == "ahead"
    assert "lost" not in steps
    off = {step["value"]: step["state"] for step in response.context["lifecycle_off_path"]}
    assert off == {"stalled": "ahead", "lost": "ahead"}
    assert 'data-stage="solution" data-state="current" aria-current="step"' in (
        response.content.decode()
    )


def test_rep_changes_the_stage_with_a_cause(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.rep)

    response = client.post(stage_url(customer), {"stage": "potential", "cause": "有明确需求"})

    assert response.status_code == 302
    assert response["Location"] == detail_url(customer) + "#lifecycle"
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "potential"
    event = customer.lifecycle_events.first()
    assert (event.from_stage, event.to_stage, event.by, event.cause) == (
        "target",
        "potential",
        org.rep,
        "有明确需求",
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Lifecycle stage changed to Potential."
    ]
    page = client.get(detail_url(customer)).content.decode()
    assert "有明确需求" in page and 'data-stage="potential" data-state="current"' in page


def test_a_stage_change_needs_a_cause(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.rep)

    response = client.post(stage_url(customer), {"stage": "potential", "cause": ""})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.lifecycle_stage == "target"
    assert customer.lifecycle_events.count() == 1
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The stage was not changed: give the new stage and a cause."
    ]


def test_changing_the_stage_needs_the_permission_and_the_scope(org, client):
    customer = make_customer(org.rep)
    hidden = make_customer(org.rep2)

    client.force_login(org.secretary)
    assert client.post(stage_url(customer), {"stage": "lost", "cause": "x"}).status_code == 403

    client.force_login(org.rep)
    assert client.post(stage_url(hidden), {"stage": "lost", "cause": "x"}).status_code == 404
    assert client.get(stage_url(hidden)).status_code == 404

    assert set(Customer.objects.values_list("lifecycle_stage", flat=True)) == {"target"}
    assert LifecycleEvent.objects.count() == 2


# --- Counts per stage --------------------------------------------------------------


def noon(day):
    return timezone.make_aware(datetime.combine(day, time(12)))


@pytest.fixture
def history(org):
    """Customers whose stages changed on known days (day 0 = ten days ago).

    A: day 1 target, day 3 potential, day 5 opportunity, day 8 lost
    B: day 2 target, day 5 potential
    C: day 6 target
    D (rep2, outside the rep's scope): day 1 target, day 2 customer
    """
    base = timezone.localdate() - timedelta(days=10)

    def day(n):
        return base + timedelta(days=n)

    def create(owner, created_on):
        customer = make_customer(owner)
        customer.lifecycle_events.update(at=noon(day(created_on)))
        return customer

    a, b = create(org.rep, 1), create(org.rep, 2)
    create(org.rep, 6)  # C
    d = create(org.rep2, 1)
    for customer, n, stage in [
        (a, 3, "potential"),
        (a, 5, "opportunity"),
        (a, 8, "lost"),
        (b, 5, "potential"),
        (d, 2, "customer"),
    ]:
        customer_change_stage(customer=customer, stage=stage, by=customer.owner, at=noon(day(n)))
    return day


def nonzero(counts):
    return {stage: n for stage, n in counts.items() if n}


def test_counts_at_past_dates_follow_the_events(org, history):
    day = history
    assert nonzero(lifecycle_counts(user=org.rep, at=day(0))) == {}
    assert nonzero(lifecycle_counts(user=org.rep, at=day(1))) == {"target": 1}
    assert nonzero(lifecycle_counts(user=org.rep, at=day(4))) == {"target": 1, "potential": 1}
    assert nonzero(lifecycle_counts(user=org.rep, at=day(5))) == {"potential": 1, "opportunity": 1}
    assert nonzero(lifecycle_counts(user=org.rep, at=day(7))) == {
        "target": 1,
        "potential": 1,
        "opportunity": 1,
    }
    assert nonzero(lifecycle_counts(user=org.rep, at=day(9))) == {
        "target": 1,
        "potential": 1,
        "lost": 1,
    }


def test_counts_now_match_the_latest_events(org, history):
    assert nonzero(lifecycle_counts(user=org.rep)) == {"target": 1, "potential": 1, "lost": 1}
    assert nonzero(lifecycle_counts(user=org.rep2)) == {"customer": 1}
    assert nonzero(lifecycle_counts(user=org.executive)) == {
        "target": 1,
        "potential": 1,
        "lost": 1,
        "customer": 1,
    }
    assert set(lifecycle_counts(user=org.rep)) == {
        "target", "potential", "opportunity", "solution", "negotiation", "customer",
        "delivery", "acceptance", "service", "repeat", "stalled", "lost",
    }  # fmt: skip


def test_counts_at_a_moment_within_a_day(org, history):
    day = history
    just_before = noon(day(5)) - timedelta(minutes=1)
    assert nonzero(lifecycle_counts(user=org.rep, at=just_before)) == {
        "target": 1,
        "potential": 1,
    }


def test_counts_are_one_query(org, history, django_assert_num_queries):
    day = history
    lifecycle_counts(user=org.rep)  # the user's scope is computed once per request
    with django_assert_num_queries(1):
        lifecycle_counts(user=org.rep, at=day(5))
    with django_assert_num_queries(1):
        lifecycle_counts(user=org.rep)


def test_counts_page_with_a_date(org, client, history, django_assert_max_num_queries):
    day = history
    client.force_login(org.rep)
    url = reverse("customers:lifecycle_counts")
    client.get(url)

    with django_assert_max_num_queries(8):
        response = client.get(url, {"at": day(5).isoformat()})

    assert response.status_code == 200
    rows = {row["value"]: (row["now"], row["past"]) for row in response.context["rows"]}
    assert rows["target"] == (1, 0)
    assert rows["potential"] == (1, 1)
    assert rows["opportunity"] == (0, 1)
    assert rows["lost"] == (1, 0)
    assert (response.context["total_now"], response.context["total_past"]) == (3, 2)
    assert 'data-testid="lifecycle-counts"' in response.content.decode()


def test_counts_page_ignores_a_bad_date(org, client):
    client.force_login(org.rep)
    response = client.get(reverse("customers:lifecycle_counts"), {"at": "yesterday"})
    assert response.status_code == 200
    assert response.context["at"] is None
