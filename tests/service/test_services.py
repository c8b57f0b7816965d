"""Service requests (SVC-1, SVC-3): SLA from the rules, the status flow
through one service with its events, who may take which step, escalation of
breaches, who sees a request, complaints and praise per employee."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from crm.models import Notification
from service import selectors, services
from service.models import RequestStatus, RequestType, ServiceEvent, ServiceRequest
from service.services import Step, service_request_create, service_request_transition
from tests.factories import make_contact, make_customer, make_employee
from tests.service.conftest import NOW

pytestmark = pytest.mark.django_db


def create(by, customer, **fields):
    fields.setdefault("request_type", RequestType.REPAIR)
    fields.setdefault("subject", "设备无法开机")
    return service_request_create(by=by, customer=customer, now=NOW, **fields)


def step(request, name, by, **kwargs):
    return service_request_transition(request=request, step=name, by=by, **kwargs)


# --- Creating and the SLA -------------------------------------------------------------


def test_a_new_request_waits_in_the_branch_queue_with_due_times_from_the_best_rule(
    org, agent, sla_rules, rep_customer
):
    request = create(agent, rep_customer)

    assert request.number == f"SR2026{request.pk:06d}"
    assert request.status == RequestStatus.NEW and request.assignee is None
    assert request.branch == org.east and request.owner == agent
    assert request.sla_rule == sla_rules["default"]
    assert request.response_due_at == NOW + timedelta(hours=8)
    assert request.resolve_due_at == NOW + timedelta(hours=72)
    assert list(request.events.values_list("kind", "to_status")) == [("created", "new")]
    assert ServiceRequest.objects.queue(branch_id=org.east.pk).get() == request


@pytest.mark.parametrize(
    "request_type, priority, grade, rule, response, resolve",
    [
        ("repair", "urgent", "", "urgent", 1, 8),
        ("complaint", "normal", "", "complaint", 2, 48),
        ("complaint", "urgent", "B", "urgent", 1, 8),  # a tie: position, then the older
        ("complaint", "urgent", "A", "urgent_complaint_a", 1, 4),  # most specific wins
        ("consultation", "low", "A", "default", 8, 72),
    ],
)
def test_the_most_specific_matching_rule_sets_the_due_times(
    org, agent, sla_rules, request_type, priority, grade, rule, response, resolve
):
    customer = make_customer(org.rep, value_grade=grade)

    request = create(agent, customer, request_type=request_type, priority=priority)

    assert request.sla_rule == sla_rules[rule]
    assert request.response_due_at - NOW == timedelta(hours=response)
    assert request.resolve_due_at - NOW == timedelta(hours=resolve)


def test_a_branch_rule_applies_only_to_its_branch(org, agent, south_agent, sla_rules):
    from service.models import SlaRule

    south_rule = SlaRule.objects.create(
        name="south", branch=org.south, response_hours=3, resolve_hours=30
    )

    east = create(agent, make_customer(org.rep))
    south = create(south_agent, make_customer(org.rep2))

    assert east.sla_rule == sla_rules["default"]
    assert south.sla_rule == south_rule


def test_without_a_matching_rule_there_are_no_due_times(agent, rep_customer):
    request = create(agent, rep_customer)

    assert request.sla_rule is None
    assert request.response_due_at is None and request.resolve_due_at is None
    assert request.sla_state == "ok"


def test_a_customer_outside_the_scope_gets_no_request(org, agent, south_customer):
    with pytest.raises(Http404):
        create(agent, south_customer)
    assert not ServiceRequest.objects.exists()


def test_a_role_without_the_permission_files_no_request(org, rep_customer):
    with pytest.raises(PermissionDenied):
        create(org.secretary, rep_customer)
    assert not ServiceRequest.objects.exists()


def test_the_contact_must_be_the_customers(org, agent, rep_customer):
    other = make_contact(make_customer(org.rep))

    with pytest.raises(ValidationError) as error:
        create(agent, rep_customer, contact=other)

    assert error.value.message_dict == {"contact": [str(services.CONTACT_OF_OTHER_CUSTOMER)]}
    assert not ServiceRequest.objects.exists()


def test_employees_are_named_on_complaints_and_praise_only(org, agent, rep_customer):
    complaint = create(
        agent, rep_customer, request_type=RequestType.COMPLAINT, employees=[org.rep, org.rep_b]
    )
    assert set(complaint.employees.all()) == {org.rep, org.rep_b}

    with pytest.raises(ValidationError):
        create(agent, rep_customer, employees=[org.rep])
    assert ServiceRequest.objects.count() == 1


# --- The status flow ------------------------------------------------------------------


def test_the_whole_flow_writes_one_event_per_step(org, agent, sla_rules, rep_customer):
    request = create(agent, rep_customer)

    request = step(request, Step.CLAIM, agent)
    assert request.status == RequestStatus.ASSIGNED and request.assignee == agent
    request = step(request, Step.START, agent)
    assert request.responded_at is not None
    request = step(request, Step.RESOLVE, agent, resolution="更换电源模块")
    request = step(request, Step.CLOSE, agent, satisfaction=4)

    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED
    assert (request.resolution, request.satisfaction) == ("更换电源模块", 4)
    assert request.closed_at is not None
    events = list(
        request.events.order_by("at", "id").values_list("kind", "from_status", "to_status")
    )
    assert events == [
        ("created", "", "new"),
        ("claimed", "new", "assigned"),
        ("started", "assigned", "in_progress"),
        ("resolved", "in_progress", "resolved"),
        ("closed", "resolved", "closed"),
    ]
    assert request.history.count() >= 5


@pytest.mark.parametrize(
    "name, message",
    [
        (Step.CLOSE, "A request that is “New” cannot be closed."),
        (Step.START, "A request that is “New” cannot be started."),
        (Step.REOPEN, "A request that is “New” cannot be reopened."),
    ],
)
def test_a_step_the_status_does_not_allow_is_refused_and_changes_nothing(
    agent, rep_customer, name, message
):
    request = create(agent, rep_customer)

    with pytest.raises(ValidationError) as error:
        step(request, name, agent, satisfaction=5, note="x", resolution="x")

    assert error.value.messages == [message]
    request.refresh_from_db()
    assert request.status == RequestStatus.NEW
    assert request.events.count() == 1


def test_resolving_needs_a_resolution_and_closing_a_score_from_1_to_5(agent, rep_customer):
    request = step(create(agent, rep_customer), Step.CLAIM, agent)

    with pytest.raises(ValidationError) as error:
        step(request, Step.RESOLVE, agent, resolution="  ")
    assert error.value.message_dict == {"resolution": [str(services.RESOLUTION_REQUIRED)]}

    request = step(request, Step.RESOLVE, agent, resolution="远程指导重启")
    with pytest.raises(ValidationError) as error:
        step(request, Step.CLOSE, agent, satisfaction=6)
    assert error.value.message_dict == {"satisfaction": [str(services.BAD_SATISFACTION)]}
    request.refresh_from_db()
    assert request.status == RequestStatus.RESOLVED and request.satisfaction is None


def test_reopening_needs_a_reason_and_clears_the_resolution_time(agent, rep_customer):
    request = step(create(agent, rep_customer), Step.CLAIM, agent)
    request = step(request, Step.RESOLVE, agent, resolution="已处理")

    with pytest.raises(ValidationError):
        step(request, Step.REOPEN, agent)
    request = step(request, Step.REOPEN, agent, note="客户反馈问题复现")

    assert request.status == RequestStatus.IN_PROGRESS and request.resolved_at is None
    assert request.events.filter(kind=ServiceEvent.Kind.REOPENED, note="客户反馈问题复现").exists()


def test_only_the_assignee_or_a_manager_works_on_a_request(org, agent, agent_b, rep_customer):
    request = step(create(agent, rep_customer), Step.CLAIM, agent)

    with pytest.raises(PermissionDenied) as error:
        step(request, Step.START, agent_b)
    assert str(error.value) == str(services.ONLY_ASSIGNEE)

    step(request, Step.START, org.branch_mgr)  # the branch manager may
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS


def test_a_request_is_claimed_once(agent, agent_b, rep_customer):
    request = create(agent, rep_customer)
    step(request, Step.CLAIM, agent_b)

    with pytest.raises(ValidationError):
        step(request, Step.CLAIM, agent)
    request.refresh_from_db()
    assert request.assignee == agent_b


def test_another_branch_cannot_claim(org, agent, south_agent, rep_customer):
    request = create(agent, rep_customer)

    with pytest.raises(Http404):  # outside the South agent's scope
        step(request, Step.CLAIM, south_agent)
    request.refresh_from_db()
    assert request.status == RequestStatus.NEW


def test_a_manager_assigns_to_service_staff_of_the_branch_only(
    org, agent, agent_b, south_agent, rep_customer
):
    request = create(agent, rep_customer)

    with pytest.raises(PermissionDenied):
        step(request, Step.ASSIGN, agent, assignee=agent_b)  # agents do not assign
    for wrong in (org.rep, south_agent):
        with pytest.raises(ValidationError) as error:
            step(request, Step.ASSIGN, org.branch_mgr, assignee=wrong)
        assert error.value.message_dict == {"assignee": [str(services.ASSIGNEE_NOT_AGENT)]}

    request = step(request, Step.ASSIGN, org.branch_mgr, assignee=agent_b)

    assert request.assignee == agent_b and request.department == agent_b.employee.department
    assert Notification.objects.filter(recipient=agent_b, url=request.get_absolute_url()).exists()
    # Reassigned while in progress, it stays in progress.
    step(request, Step.START, agent_b)
    request = step(request, Step.ASSIGN, org.branch_mgr, assignee=agent)
    assert request.status == RequestStatus.IN_PROGRESS and request.assignee == agent


def test_whoever_filed_a_request_may_cancel_it_with_a_reason(org, rep_customer):
    request = create(org.rep, rep_customer, request_type=RequestType.COMPLAINT)

    with pytest.raises(ValidationError):
        step(request, Step.CANCEL, org.rep)
    request = step(request, Step.CANCEL, org.rep, note="误报")

    assert request.status == RequestStatus.CANCELLED


def test_a_sales_rep_cannot_work_on_a_request(org, agent, rep_customer):
    request = step(create(org.rep, rep_customer), Step.CLAIM, agent)

    with pytest.raises(Http404):  # the rep sees it through the customer only
        step(request, Step.RESOLVE, org.rep, resolution="x")
    request.refresh_from_db()
    assert request.status == RequestStatus.ASSIGNED


# --- Escalation (SVC-1, beat) ----------------------------------------------------------


def test_breaches_are_escalated_once_to_the_assignee_and_the_branch_managers(
    org, agent, sla_rules, rep_customer
):
    waiting = create(agent, rep_customer)  # in the queue; response due NOW + 8 h
    worked = step(create(agent, rep_customer), Step.CLAIM, agent, now=NOW)
    worked = step(worked, Step.START, agent, now=NOW)  # answered; resolution due NOW + 72 h
    on_time = step(create(agent, rep_customer), Step.CLAIM, agent, now=NOW)
    step(on_time, Step.RESOLVE, agent, resolution="ok", now=NOW + timedelta(hours=1))

    assert services.service_requests_escalate(now=NOW + timedelta(hours=7)) == 0
    later = NOW + timedelta(hours=73)
    assert services.service_requests_escalate(now=later) == 3

    waiting.refresh_from_db()
    worked.refresh_from_db()
    assert waiting.response_escalated_at == later and waiting.resolve_escalated_at == later
    assert worked.response_escalated_at is None and worked.resolve_escalated_at == later
    assert ServiceEvent.objects.filter(kind=ServiceEvent.Kind.ESCALATED).count() == 3
    # The queue's breaches go to the managers; the assignee's to both.
    assert Notification.objects.filter(recipient=org.branch_mgr).count() == 3
    assert Notification.objects.filter(recipient=agent).count() == 1
    assert not Notification.objects.filter(recipient=org.rep).exists()

    # Idempotent: nothing new, nobody told twice.
    assert services.service_requests_escalate(now=later + timedelta(hours=1)) == 0
    assert Notification.objects.filter(recipient=org.branch_mgr).count() == 3


def test_the_beat_task_escalates(agent, sla_rules, rep_customer):
    from service.tasks import escalate_sla_breaches

    request = service_request_create(
        by=agent,
        customer=rep_customer,
        request_type="repair",
        subject="x",
        now=NOW - timedelta(days=10),
    )

    assert escalate_sla_breaches() == 2  # response and resolution
    assert escalate_sla_breaches() == 0
    request.refresh_from_db()
    assert request.response_escalated_at is not None


# --- Who sees a request ----------------------------------------------------------------


def test_the_customers_owner_and_their_managers_see_its_requests_after_assignment(
    org, agent, south_agent, rep_customer
):
    request = step(create(org.rep, rep_customer), Step.CLAIM, agent)

    def sees(user):
        return selectors.requests_visible_to(user).filter(pk=request.pk).exists()

    assert request.owner == agent
    assert sees(agent) and sees(org.rep) and sees(org.manager) and sees(org.branch_mgr)
    assert sees(org.executive)
    assert not sees(org.rep_b)  # another rep's customer
    assert not sees(org.rep2) and not sees(south_agent)
    with pytest.raises(Http404):
        selectors.access_service_request(user=org.rep_b, pk=request.pk)


# --- Complaints and praise per employee (SVC-3) ----------------------------------------


def test_complaints_and_praise_are_counted_per_employee_and_period_in_sql(
    org, agent, rep_customer, django_assert_num_queries
):
    def feedback(kind, employees, at, cancel=False):
        request = service_request_create(
            by=agent,
            customer=rep_customer,
            request_type=kind,
            subject=kind,
            employees=employees,
            now=at,
        )
        if cancel:
            step(request, Step.CANCEL, agent, note="重复")

    feedback(RequestType.COMPLAINT, [org.rep, org.rep_b], NOW)
    feedback(RequestType.COMPLAINT, [org.rep], NOW + timedelta(days=3))
    feedback(RequestType.PRAISE, [org.rep, agent], NOW + timedelta(days=5))
    feedback(RequestType.COMPLAINT, [org.rep], NOW + timedelta(days=40))  # another month
    feedback(RequestType.COMPLAINT, [org.rep_b], NOW, cancel=True)  # does not count

    with django_assert_num_queries(1):
        rows = list(selectors.feedback_per_employee(start=NOW, end=NOW + timedelta(days=30)))

    assert rows == sorted(
        [
            {"employee": org.rep.pk, "complaints": 2, "praise": 1},
            {"employee": org.rep_b.pk, "complaints": 1, "praise": 0},
            {"employee": agent.pk, "complaints": 0, "praise": 1},
        ],
        key=lambda row: row["employee"],
    )
    # Narrowed to what a user sees: the South rep sees none of them.
    assert not selectors.feedback_per_employee(
        start=NOW, end=NOW + timedelta(days=30), requests=selectors.requests_visible_to(org.rep2)
    ).exists()


def test_service_managers_are_the_branch_users_who_may_assign(org, agent, east_service):
    manager = make_employee(east_service, "service_agent", username="svc_mgr").user
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(Permission.objects.get(codename="assign_servicerequest"))

    assert set(services.service_managers(branch_id=org.east.pk)) == {org.branch_mgr, manager}
    assert set(services.service_agents(branch_id=org.east.pk)) == {
        agent,
        manager,
        org.branch_mgr,
    }


def test_a_handover_moves_open_work_and_keeps_who_finished_the_rest(
    org, agent, agent_b, rep_customer
):
    from crm.handover import handover_perform
    from service.care import care_task_finish
    from tests.factories import make_care_task

    open_request = step(create(agent, rep_customer), Step.CLAIM, agent)
    closed = step(create(agent, rep_customer), Step.CLAIM, agent)
    closed = step(closed, Step.RESOLVE, agent, resolution="ok")
    closed = step(closed, Step.CLOSE, agent, satisfaction=5)
    open_task = make_care_task(org.rep, customer=rep_customer)
    done_task = make_care_task(org.rep, customer=rep_customer)
    care_task_finish(task=done_task, status="done", by=org.rep)

    handover_perform(from_user=agent, to_user=agent_b, by=org.branch_mgr)
    handover_perform(from_user=org.rep, to_user=org.rep_b, by=org.branch_mgr)

    open_request.refresh_from_db()
    closed.refresh_from_db()
    open_task.refresh_from_db()
    done_task.refresh_from_db()
    assert open_request.assignee == agent_b and closed.assignee == agent
    assert open_task.owner == org.rep_b and done_task.owner == org.rep
