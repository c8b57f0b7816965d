"""Follow-ups logged from the customer page and next steps on the start page (CUS-6)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from customers import views_360, viewsets
from customers.models import FollowUp
from tests.factories import make_contact, make_customer, make_follow_up

pytestmark = pytest.mark.django_db


def add_url(customer):
    return reverse("customers:follow_up_add", kwargs={"pk": customer.pk})


def done_url(follow_up):
    return reverse("customers:follow_up_next_step_done", kwargs={"pk": follow_up.pk})


def form_data(**fields):
    data = {
        "kind": "visit",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "subject": "上门拜访",
        "outcome": "客户认可方案",
        "next_step": "发送报价",
        "next_step_date": timezone.localdate().isoformat(),
    }
    data.update(fields)
    return {f"fu-{name}": value for name, value in data.items()}


def test_inline_form_is_on_the_customer_page_with_this_customers_contacts(org, client):
    customer = make_customer(org.rep)
    make_contact(customer, name="王总")
    make_contact(customer, name="离职的人", is_active=False)
    make_contact(make_customer(org.rep), name="别家的人")
    client.force_login(org.rep)

    response = client.get(reverse("customers:customer:detail", kwargs={"pk": customer.pk}))

    form = response.context["follow_up_form"]
    assert [label for _, label in form.fields["contacts"].choices] == ["王总"]
    page = response.content.decode()
    assert f'action="{add_url(customer)}"' in page
    assert 'name="fu-occurred_at"' in page and 'type="checkbox" name="fu-contacts"' in page


def test_rep_logs_a_follow_up_and_goes_back_to_the_page(org, client):
    customer = make_customer(org.rep)
    boss = make_contact(customer, name="王总")
    client.force_login(org.rep)

    response = client.post(add_url(customer), form_data(contacts=[boss.pk]))

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("customers:customer:detail", kwargs={"pk": customer.pk}) + "#follow-ups"
    )
    follow_up = FollowUp.objects.get()
    assert (follow_up.customer, follow_up.owner, follow_up.kind, follow_up.subject) == (
        customer,
        org.rep,
        "visit",
        "上门拜访",
    )
    assert list(follow_up.contacts.all()) == [boss]
    assert follow_up.next_step_date == timezone.localdate()
    boss.refresh_from_db()
    assert boss.last_met_at == follow_up.occurred_at
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Follow-up “上门拜访” logged."]


def test_invalid_follow_up_shows_the_errors_and_saves_nothing(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.rep)

    response = client.post(add_url(customer), form_data(subject="", next_step=""))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"subject", "next_step"}
    assert not FollowUp.objects.exists()


def test_contacts_of_another_customer_are_refused(org, client):
    customer = make_customer(org.rep)
    stranger = make_contact(make_customer(org.rep), name="别家的人")
    client.force_login(org.rep)

    response = client.post(add_url(customer), form_data(contacts=[stranger.pk]))

    assert response.status_code == 200
    assert "contacts" in response.context["form"].errors
    assert not FollowUp.objects.exists()


def test_logging_needs_the_permission(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.secretary)  # sees the branch, may only view

    assert client.post(add_url(customer), form_data()).status_code == 403
    assert client.get(add_url(customer)).status_code == 403
    assert not FollowUp.objects.exists()


def test_logging_is_404_outside_the_scope(org, client):
    customer = make_customer(org.rep2)
    client.force_login(org.rep)

    assert client.post(add_url(customer), form_data()).status_code == 404
    assert client.get(add_url(customer)).status_code == 404
    assert not FollowUp.objects.exists()


def test_next_step_done(org, client):
    customer = make_customer(org.rep)
    follow_up = make_follow_up(
        customer, by=org.rep, next_step="报价", next_step_date=timezone.localdate()
    )
    client.force_login(org.rep)

    response = client.post(done_url(follow_up), {"next": "/today/"})

    assert response.status_code == 302 and response["Location"] == "/today/"
    follow_up.refresh_from_db()
    assert follow_up.next_step_done is True
    assert follow_up.history.first().history_user == org.rep


def test_next_step_done_ignores_foreign_redirects(org, client):
    customer = make_customer(org.rep)
    follow_up = make_follow_up(customer, by=org.rep, next_step="报价")
    client.force_login(org.rep)

    response = client.post(done_url(follow_up), {"next": "https://evil.example.com/"})

    assert response["Location"] == (
        reverse("customers:customer:detail", kwargs={"pk": customer.pk}) + "#follow-ups"
    )


def test_next_step_done_needs_the_permission_and_the_scope(org, client):
    mine = make_follow_up(make_customer(org.rep), by=org.rep, next_step="报价")
    hidden = make_follow_up(make_customer(org.rep2), by=org.rep2, next_step="报价")

    client.force_login(org.secretary)
    assert client.post(done_url(mine)).status_code == 403

    client.force_login(org.rep)
    assert client.post(done_url(hidden)).status_code == 404
    assert client.get(done_url(hidden)).status_code == 404

    assert not FollowUp.objects.filter(next_step_done=True).exists()


# --- Start page ------------------------------------------------------------------


def test_start_page_lists_my_next_steps_due_today_and_overdue(org, client):
    customer = make_customer(org.rep, name="到期客户有限公司")
    today = timezone.localdate()
    make_follow_up(customer, by=org.rep, next_step="今天报价", next_step_date=today)
    make_follow_up(
        customer, by=org.rep, next_step="逾期回访", next_step_date=today - timedelta(days=2)
    )
    make_follow_up(
        customer, by=org.rep, next_step="下周演示", next_step_date=today + timedelta(days=7)
    )
    done = make_follow_up(customer, by=org.rep, next_step="已完成", next_step_date=today)
    done.next_step_done = True
    done.save(update_fields=["next_step_done"])
    make_follow_up(customer, by=org.manager, next_step="经理的事", next_step_date=today)
    client.force_login(org.rep)

    response = client.get(reverse("today:index"))

    page = response.content.decode()
    assert 'data-panel="next-steps"' in page
    panel = next(p for p in response.context["panels"] if p["key"] == "next_steps")
    assert [step.next_step for step in panel["steps"]] == ["逾期回访", "今天报价"]
    assert "下周演示" not in page and "已完成" not in page and "经理的事" not in page
    customer_url = reverse("customers:customer:detail", kwargs={"pk": customer.pk})
    assert f'href="{customer_url}#follow-ups">到期客户有限公司</a>' in page
    assert "overdue since" in page


def test_start_page_query_count_does_not_grow_with_next_steps(
    org, client, django_assert_max_num_queries, django_assert_num_queries
):
    customer = make_customer(org.rep)
    today = timezone.localdate()
    make_follow_up(customer, by=org.rep, next_step="报价", next_step_date=today)
    client.force_login(org.rep)
    client.get(reverse("today:index"))  # first request of the session
    with django_assert_max_num_queries(10) as captured:  # 2 of them for this card
        client.get(reverse("today:index"))

    for n in range(15):
        other = make_customer(org.rep)
        make_follow_up(
            other, by=org.rep, next_step=f"步骤{n}", next_step_date=today - timedelta(days=n)
        )

    with django_assert_num_queries(len(captured)):
        response = client.get(reverse("today:index"))
    panel = next(p for p in response.context["panels"] if p["key"] == "next_steps")
    assert len(panel["steps"]) == 10 and panel["more"] is True


FOLLOW_UP_PAGE_WIRED = viewsets.FollowUpViewset.detail_view_class is views_360.FollowUpDetailView


@pytest.mark.skipif(
    not FOLLOW_UP_PAGE_WIRED,
    reason="FollowUpViewset.detail_view_class is not views_360.FollowUpDetailView yet",
)
def test_follow_up_page_shows_contacts_and_the_done_action(org, client):
    customer = make_customer(org.rep)
    boss = make_contact(customer, name="王总")
    follow_up = make_follow_up(
        customer, by=org.rep, subject="技术交流", contacts=[boss], next_step="发送资料"
    )
    client.force_login(org.rep)

    page = client.get(follow_up.get_absolute_url()).content.decode()

    assert "技术交流" in page and "王总" in page and "发送资料" in page
    assert f'action="{done_url(follow_up)}"' in page
    assert 'data-panel="history"' in page


def test_follow_up_page_is_404_outside_the_scope(org, client):
    follow_up = make_follow_up(make_customer(org.rep2), by=org.rep2)
    client.force_login(org.rep)
    assert client.get(follow_up.get_absolute_url()).status_code == 404
