"""Service pages: the queue, my requests, the list, a request's page and its
steps, a new request, the customer page's frame, the start page's card and
the care to-dos -- scoped (404 outside), permission-checked (403 without
the role's permission) and at a query count that does not grow with rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from service.models import CareTaskStatus, RequestStatus, RequestType, ServiceRequest
from service.services import Step, service_request_create, service_request_transition
from tests.factories import make_care_task, make_contact, make_customer

pytestmark = pytest.mark.django_db


def create(by, customer, **fields):
    fields.setdefault("request_type", RequestType.REPAIR)
    fields.setdefault("subject", "设备无法开机")
    return service_request_create(by=by, customer=customer, **fields)


def claimed(agent, customer, **fields):
    return service_request_transition(
        request=create(agent, customer, **fields), step=Step.CLAIM, by=agent
    )


def pinned(client, url, add_more, django_assert_num_queries, *, expected):
    client.get(url)  # the session and the permission caches warm up
    with django_assert_num_queries(expected):
        first = client.get(url)
    assert first.status_code == 200
    add_more()
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    return first


# --- Query counts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, name, expected",
    [
        ("agent", "service:queue:index", 6),
        ("agent", "service:mine:index", 5),
        ("agent", "service:request:index", 6),
        ("rep", "service:request:index", 6),
        ("manager", "service:queue:index", None),  # sales managers have no queue: 403
        ("agent", "service:today", 10),
        ("rep", "service:care:index", 6),
    ],
)
def test_pages_do_not_grow_with_the_rows(
    client, org, agent, sla_rules, rep_customer, django_assert_num_queries, who, name, expected
):
    user = agent if who == "agent" else getattr(org, who)
    client.force_login(user)
    url = reverse(name)
    if expected is None:
        assert client.get(url).status_code == 403
        return

    def add(count):
        for index in range(count):
            create(agent, rep_customer, subject=f"queued {index}")
            claimed(agent, rep_customer, subject=f"mine {index}")
            make_care_task(org.rep, customer=rep_customer, due=timezone.localdate())

    add(1)
    pinned(client, url, lambda: add(4), django_assert_num_queries, expected=expected)


def test_the_request_page_and_the_customer_frame_do_not_grow(
    client, org, agent, sla_rules, rep_customer, django_assert_num_queries
):
    from service.services import service_request_set_employees

    request = claimed(agent, rep_customer, request_type=RequestType.COMPLAINT)
    client.force_login(agent)

    def more():
        service_request_set_employees(request=request, employees=[org.rep, org.rep_b], by=agent)
        service_request_transition(request=request, step=Step.START, by=agent)
        for _ in range(3):
            create(agent, rep_customer)

    pinned(
        client,
        request.get_absolute_url(),
        more,
        django_assert_num_queries,
        expected=8,
    )
    client.force_login(org.rep)
    pinned(
        client,
        reverse("service:request:customer", kwargs={"pk": rep_customer.pk}),
        lambda: create(agent, rep_customer),
        django_assert_num_queries,
        expected=7,
    )


# --- Scope and permissions -------------------------------------------------------------


def test_a_request_is_404_outside_the_scope_and_visible_to_the_customers_owner(
    client, org, agent, rep_customer
):
    request = claimed(agent, rep_customer)
    url = request.get_absolute_url()

    for outsider in (org.rep2, org.rep_b):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert (
            client.get(
                reverse("service:request:customer", kwargs={"pk": rep_customer.pk})
            ).status_code
            == 404
        )
    client.force_login(org.rep)
    page = client.get(url)
    assert page.status_code == 200
    assert request.number in page.content.decode()
    assert "Nothing for you to do on this request." in page.content.decode()


def test_lists_show_only_what_the_user_sees(client, org, agent, south_agent, rep_customer):
    east = create(agent, rep_customer, subject="华东的请求")
    south = create(south_agent, make_customer(org.rep2), subject="华南的请求")

    client.force_login(agent)
    queue = client.get(reverse("service:queue:index")).content.decode()
    listing = client.get(reverse("service:request:index")).content.decode()
    assert east.number in queue and south.number not in queue
    assert east.number in listing and south.number not in listing

    client.force_login(org.rep)  # the customer's owner sees it in the list
    assert east.number in client.get(reverse("service:request:index")).content.decode()
    client.force_login(org.rep_b)
    assert east.number not in client.get(reverse("service:request:index")).content.decode()


def test_roles_without_the_permission_get_403(client, org):
    client.force_login(org.secretary)
    for name in ("service:request:index", "service:queue:index", "service:care:index"):
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("service:request:add")).status_code == 403
    client.force_login(org.rep)
    assert client.get(reverse("service:queue:index")).status_code == 403
    assert client.post(reverse("service:queue:assign"), {}).status_code == 403


def test_the_service_area_is_in_the_menu_of_those_who_use_it(client, org, agent):
    from crm.site import site

    area = next(app for app in site.viewsets if getattr(app, "app_name", "") == "service")
    assert area.has_view_permission(agent)
    assert area.has_view_permission(org.rep)
    assert not area.has_view_permission(org.secretary)
    client.force_login(agent)
    assert client.get("/service/")["Location"] == reverse("service:mine:index")


def test_list_filters(client, org, agent, sla_rules, rep_customer):
    late = service_request_create(
        by=agent,
        customer=rep_customer,
        request_type="complaint",
        subject="迟到的请求",
        now=timezone.now() - timedelta(days=5),
    )
    fresh = create(agent, rep_customer, subject="新请求")
    client.force_login(agent)

    breached = client.get(reverse("service:request:index"), {"sla": "breached"})
    complaints = client.get(reverse("service:request:index"), {"type": "complaint"})

    assert late.number in breached.content.decode()
    assert fresh.number not in breached.content.decode()
    assert 'data-sla="breached"' in breached.content.decode()
    assert late.number in complaints.content.decode()
    assert fresh.number not in complaints.content.decode()


# --- Steps through the pages -----------------------------------------------------------


def test_an_agent_claims_from_the_queue_and_works_the_request_to_its_close(
    client, org, agent, sla_rules, rep_customer
):
    request = create(org.rep, rep_customer)
    client.force_login(agent)

    response = client.post(reverse("service:request:claim", kwargs={"pk": request.pk}))
    assert response.status_code == 302
    client.post(reverse("service:request:start", kwargs={"pk": request.pk}))
    client.post(
        reverse("service:request:resolve", kwargs={"pk": request.pk}), {"resolution": "已修复"}
    )
    client.post(reverse("service:request:close", kwargs={"pk": request.pk}), {"satisfaction": "5"})

    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.satisfaction == 5
    assert request.assignee == agent


def test_a_refused_step_shows_the_reason_and_changes_nothing(client, org, agent, rep_customer):
    request = create(agent, rep_customer)
    client.force_login(agent)

    response = client.post(
        reverse("service:request:close", kwargs={"pk": request.pk}),
        {"satisfaction": "3"},
        follow=True,
    )

    assert "A request that is “New” cannot be closed." in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.NEW and request.events.count() == 1


def test_the_customers_rep_may_look_but_not_work(client, org, agent, rep_customer):
    request = claimed(agent, rep_customer)
    client.force_login(org.rep)

    response = client.post(
        reverse("service:request:resolve", kwargs={"pk": request.pk}),
        {"resolution": "x"},
        follow=True,
    )

    assert response.status_code == 200
    assert "You are not allowed to do this." in response.content.decode()
    request.refresh_from_db()
    assert request.status == RequestStatus.ASSIGNED


def test_a_branch_manager_assigns_ticked_requests_from_the_queue(
    client, org, agent, agent_b, rep_customer
):
    first, second, third = (create(agent, rep_customer) for _ in range(3))
    client.force_login(org.branch_mgr)

    page = client.get(reverse("service:queue:index"))
    assert page.status_code == 200 and 'name="assignee"' in page.content.decode()
    response = client.post(
        reverse("service:queue:assign"), {"assignee": agent_b.pk, "ids": [first.pk, second.pk]}
    )

    assert response.status_code == 302
    assert set(ServiceRequest.objects.assigned_to(agent_b)) == {first, second}
    third.refresh_from_db()
    assert third.status == RequestStatus.NEW
    # A sales rep is not someone to assign to: nothing changes.
    response = client.post(
        reverse("service:queue:assign"), {"assignee": org.rep.pk, "ids": [third.pk]}
    )
    assert response.status_code == 400
    third.refresh_from_db()
    assert third.status == RequestStatus.NEW


def test_a_rep_files_a_complaint_from_the_customer_page(
    client, org, agent, sla_rules, rep_customer
):
    contact = make_contact(rep_customer)
    client.force_login(org.rep)
    url = reverse("service:request:add")

    form = client.get(url, {"customer": rep_customer.pk, "type": "complaint"})
    assert form.status_code == 200 and "take_it" not in form.content.decode()
    response = client.post(
        f"{url}?customer={rep_customer.pk}",
        {
            "customer": rep_customer.pk,
            "request_type": "complaint",
            "priority": "high",
            "channel": "phone",
            "subject": "备件交付延误",
            "contact": contact.pk,
            "employees": [org.rep_b.pk],
        },
    )

    request = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    assert (request.customer, request.contact, request.created_by) == (
        rep_customer,
        contact,
        org.rep,
    )
    assert list(request.employees.all()) == [org.rep_b]
    assert request.status == RequestStatus.NEW and request.branch == org.east
    client.force_login(agent)
    assert request.number in client.get(reverse("service:queue:index")).content.decode()
    frame = client.get(reverse("service:request:customer", kwargs={"pk": rep_customer.pk}))
    assert request.number in frame.content.decode()


def test_a_new_request_for_a_customer_outside_the_scope_is_404(client, org, rep_customer):
    client.force_login(org.rep2)
    url = reverse("service:request:add")

    assert client.get(url, {"customer": rep_customer.pk}).status_code == 404
    response = client.post(
        url, {"customer": rep_customer.pk, "request_type": "repair", "subject": "x"}
    )
    assert response.status_code == 404
    assert not ServiceRequest.objects.exists()


def test_a_bad_form_says_what_is_wrong_and_saves_nothing(client, org, rep_customer):
    client.force_login(org.rep)

    response = client.post(
        reverse("service:request:add"),
        {"customer": rep_customer.pk, "request_type": "repair", "subject": ""},
    )

    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()


# --- Start page and customer page ------------------------------------------------------


def test_the_agents_start_page_card_shows_their_queue_and_overdue_requests(
    client, org, agent, sla_rules, rep_customer
):
    overdue = service_request_transition(
        request=service_request_create(
            by=agent,
            customer=rep_customer,
            request_type="repair",
            subject="超时的请求",
            now=timezone.now() - timedelta(days=4),
        ),
        step=Step.CLAIM,
        by=agent,
    )
    create(org.rep, rep_customer)
    client.force_login(agent)

    start = client.get(reverse("today:index")).content.decode()
    card = client.get(reverse("service:today")).content.decode()

    assert reverse("service:today") in start
    assert overdue.number in card
    assert 'data-testid="today-breached"' in card
    assert "1 request waiting in your branch's queue" in card


def test_the_reps_start_page_shows_care_to_dos_not_requests(client, org, rep_customer):
    task = make_care_task(org.rep, customer=rep_customer, due=timezone.localdate())
    client.force_login(org.rep)

    card = client.get(reverse("service:today")).content.decode()

    assert task.title in card
    assert 'data-testid="today-service-requests"' not in card


def test_the_customer_page_has_the_service_panel(client, org, rep_customer):
    client.force_login(org.rep)

    page = client.get(rep_customer.get_absolute_url()).content.decode()

    assert reverse("service:request:customer", kwargs={"pk": rep_customer.pk}) in page


# --- Care to-dos ------------------------------------------------------------------------


def test_the_owner_marks_a_care_to_do_done_from_its_page(client, org, rep_customer):
    task = make_care_task(org.rep, customer=rep_customer, due=timezone.localdate())
    client.force_login(org.rep)

    assert client.get(task.get_absolute_url()).status_code == 200
    response = client.post(reverse("service:care:done", kwargs={"pk": task.pk}), {"note": "已问候"})

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.note, task.finished_by) == (CareTaskStatus.DONE, "已问候", org.rep)
    done_list = client.get(reverse("service:care:index"), {"status": "done"}).content.decode()
    assert task.title in done_list


def test_a_care_to_do_is_404_outside_the_scope(client, org, rep_customer):
    task = make_care_task(org.rep, customer=rep_customer, due=timezone.localdate())
    client.force_login(org.rep_b)

    assert client.get(task.get_absolute_url()).status_code == 404
    assert (
        client.post(reverse("service:care:skip", kwargs={"pk": task.pk}), {"note": "x"}).status_code
        == 404
    )
    task.refresh_from_db()
    assert task.status == CareTaskStatus.OPEN


def test_the_deal_page_shows_the_customers_requests(client, org, agent, rep_customer):
    from tests.factories import make_opportunity

    deal = make_opportunity(org.rep, customer=rep_customer)
    request = create(org.rep, rep_customer, request_type=RequestType.COMPLAINT)
    client.force_login(org.rep)

    page = client.get(deal.get_absolute_url()).content.decode()
    frame_url = reverse("service:request:customer", kwargs={"pk": rep_customer.pk})

    assert f'id="customer-service-{rep_customer.pk}" src="{frame_url}"' in page
    assert request.number in client.get(frame_url).content.decode()
