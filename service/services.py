"""Writes of service requests (SVC-1, SVC-3).

Every change of a request's status goes through ``service_request_transition``,
which checks the step against the status flow and the user's right to take
it, writes the request and its ``ServiceEvent`` row in one transaction and
tells the people concerned. Views, admin actions and tasks call these;
none of them saves a request itself.

Status flow::

    new ──claim/assign──▶ assigned ──start──▶ in progress ──resolve──▶ resolved ──close──▶ closed
     │                      │  └────────────resolve───────────────────▲   │
     └──────cancel──────────┴──────cancel──── in progress             reopen ─▶ in progress
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.notifications import notify
from crm.scope import access_object, lock_object
from customers.models import Contact, Customer
from projects.models import Product
from service.models import (
    OPEN_STATUSES,
    UNANSWERED_STATUSES,
    FeedbackAttribution,
    RequestStatus,
    RequestType,
    ServiceEvent,
    ServiceRequest,
    SlaRule,
)

User = get_user_model()

NOT_ALLOWED = _("You are not allowed to do this.")
ONLY_ASSIGNEE = _("Only the assignee or a service manager can do this.")
NOT_IN_QUEUE = _("This request is no longer waiting in the queue.")
OTHER_BRANCH_QUEUE = _("You can only claim requests from your own branch's queue.")
ASSIGNEE_NOT_AGENT = _(
    "Requests can only be assigned to active service staff of the request's branch."
)
BAD_STEP = _("A request that is “%(status)s” cannot be %(step)s.")
RESOLUTION_REQUIRED = _("Describe how the request was resolved.")
REASON_REQUIRED = _("Give a reason.")
BAD_SATISFACTION = _("The customer satisfaction is a score from 1 to 5.")
CONTACT_OF_OTHER_CUSTOMER = _("The contact must be one of the customer's contacts.")
ARCHIVED_CUSTOMER = _("An archived customer cannot get new service requests.")
INACTIVE_PRODUCT = _("This product is no longer offered.")
EMPLOYEES_ONLY_FEEDBACK = _("Employees are named on complaints and praise only.")
SAME_ASSIGNEE = _("The request is already assigned to this person.")

BREACH_TITLE = _("SLA breached: %(number)s")
BREACH_RESPONSE = _("%(number)s “%(subject)s” was not answered by %(due)s.")
BREACH_RESOLVE = _("%(number)s “%(subject)s” was not resolved by %(due)s.")
ASSIGNED_TITLE = _("Service request %(number)s assigned to you")


class Step:
    """The steps of the status flow: the statuses each starts from and where
    it leads (``None``: the status does not change)."""

    CLAIM = "claim"
    ASSIGN = "assign"
    START = "start"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"


_FLOW: dict[str, tuple[tuple[str, ...], str | None, str]] = {
    Step.CLAIM: ((RequestStatus.NEW,), RequestStatus.ASSIGNED, ServiceEvent.Kind.CLAIMED),
    Step.ASSIGN: (
        (RequestStatus.NEW, RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS),
        None,
        ServiceEvent.Kind.ASSIGNED,
    ),
    Step.START: ((RequestStatus.ASSIGNED,), RequestStatus.IN_PROGRESS, ServiceEvent.Kind.STARTED),
    Step.RESOLVE: (
        (RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS),
        RequestStatus.RESOLVED,
        ServiceEvent.Kind.RESOLVED,
    ),
    Step.CLOSE: ((RequestStatus.RESOLVED,), RequestStatus.CLOSED, ServiceEvent.Kind.CLOSED),
    Step.REOPEN: (
        (RequestStatus.RESOLVED,),
        RequestStatus.IN_PROGRESS,
        ServiceEvent.Kind.REOPENED,
    ),
    Step.CANCEL: (OPEN_STATUSES, RequestStatus.CANCELLED, ServiceEvent.Kind.CANCELLED),
}

#: How each step reads in "cannot be …" messages.
STEP_WORDS = {
    Step.CLAIM: _("claimed"),
    Step.ASSIGN: _("assigned"),
    Step.START: _("started"),
    Step.RESOLVE: _("resolved"),
    Step.CLOSE: _("closed"),
    Step.REOPEN: _("reopened"),
    Step.CANCEL: _("cancelled"),
}


def allowed_steps(request: ServiceRequest) -> list[str]:
    """The steps the flow allows from the request's status (not who may)."""
    return [step for step, (sources, _to, _kind) in _FLOW.items() if request.status in sources]


# --- Who is who ------------------------------------------------------------------------


def _branch_id(user) -> int | None:
    employee = getattr(user, "employee", None)
    return employee.department.branch_id if employee is not None else None


def _users_with_permission(codename: str, *, branch_id: int):
    """Active users of a branch holding ``service.<codename>`` through a role
    (group) or directly -- one query."""
    permission = Permission.objects.filter(content_type__app_label="service", codename=codename)
    return (
        User.objects.filter(
            is_active=True,
            employee__is_active=True,
            employee__department__branch_id=branch_id,
        )
        .filter(Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
        .distinct()
    )


def service_managers(*, branch_id: int):
    """Who assigns and is told about breaches in a branch: its users holding
    ``service.assign_servicerequest`` (branch managers; a service manager is a
    service agent an admin gave that permission)."""
    return _users_with_permission("assign_servicerequest", branch_id=branch_id)


def service_agents(*, branch_id: int):
    """Who may be given a request of the branch: its active users who may work
    on requests (``service.change_servicerequest``)."""
    return _users_with_permission("change_servicerequest", branch_id=branch_id)


def _is_manager(user) -> bool:
    return user.has_perm("service.assign_servicerequest")


# --- SLA ---------------------------------------------------------------------------------


def sla_rule_for(
    *, request_type: str, priority: str, value_grade: str, branch_id: int | None
) -> SlaRule | None:
    """The active rule that fits best: every set condition must match; the
    most specific one wins, then the lowest position."""
    set_ = IntegerField()
    specificity = sum(
        (
            Case(When(~Q(**{field: empty}), then=Value(1)), default=Value(0), output_field=set_)
            for field, empty in (
                ("request_type", ""),
                ("priority", ""),
                ("value_grade", ""),
            )
        ),
        Case(When(branch__isnull=False, then=Value(1)), default=Value(0), output_field=set_),
    )
    return (
        SlaRule.objects.filter(is_active=True)
        .filter(Q(request_type="") | Q(request_type=request_type))
        .filter(Q(priority="") | Q(priority=priority))
        .filter(Q(value_grade="") | Q(value_grade=value_grade))
        .filter(Q(branch__isnull=True) | Q(branch_id=branch_id))
        .annotate(specificity=specificity)
        .order_by("-specificity", "position", "id")
        .first()
    )


@dataclass(frozen=True)
class SlaDue:
    rule: SlaRule | None
    response_due_at: datetime | None
    resolve_due_at: datetime | None


def sla_due(*, rule: SlaRule | None, start: datetime) -> SlaDue:
    """Due times in calendar hours from ``start``."""
    if rule is None:
        return SlaDue(None, None, None)
    return SlaDue(
        rule,
        start + timedelta(hours=rule.response_hours),
        start + timedelta(hours=rule.resolve_hours),
    )


# --- Creating ----------------------------------------------------------------------------


def _event(request: ServiceRequest, *, kind, from_status, by, note="", at=None) -> ServiceEvent:
    return ServiceEvent.objects.create(
        request=request,
        kind=kind,
        from_status=from_status,
        to_status=request.status,
        by=by,
        assignee=request.assignee,
        note=note,
        at=at or timezone.now(),
    )


def _set_employees(request: ServiceRequest, employees: Iterable) -> None:
    ids = {getattr(e, "pk", e) for e in employees} - {None}
    if ids and request.request_type not in (RequestType.COMPLAINT, RequestType.PRAISE):
        raise ValidationError({"employees": EMPLOYEES_ONLY_FEEDBACK})
    FeedbackAttribution.objects.filter(request=request).exclude(employee_id__in=ids).delete()
    existing = set(
        FeedbackAttribution.objects.filter(request=request).values_list("employee_id", flat=True)
    )
    FeedbackAttribution.objects.bulk_create(
        [FeedbackAttribution(request=request, employee_id=pk) for pk in sorted(ids - existing)]
    )


@transaction.atomic
def service_request_create(
    *,
    by,
    customer: Customer,
    request_type: str,
    subject: str,
    description: str = "",
    contact: Contact | None = None,
    product: Product | None = None,
    priority: str = "normal",
    channel: str = "phone",
    employees: Iterable = (),
    assignee=None,
    now: datetime | None = None,
) -> ServiceRequest:
    """A new request in the creator's branch queue, its SLA due times from the
    best-fitting rule. A service agent who files it for themselves passes
    ``assignee=by`` (it is then claimed at once)."""
    if not by.has_perm("service.add_servicerequest"):
        raise PermissionDenied(NOT_ALLOWED)
    customer = access_object(Customer.objects.all(), user=by, pk=customer.pk)
    if customer.is_archived:
        raise ValidationError(ARCHIVED_CUSTOMER)
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": CONTACT_OF_OTHER_CUSTOMER})
    if product is not None and not product.is_active:
        raise ValidationError({"product": INACTIVE_PRODUCT})
    backdated = now is not None  # demo data and tests set the creation time
    now = now or timezone.now()
    request = ServiceRequest(
        number="",
        request_type=request_type,
        subject=subject,
        description=description,
        customer=customer,
        contact=contact,
        product=product,
        priority=priority,
        channel=channel,
        status=RequestStatus.NEW,
        created_by=by,
    )
    request.assign_owner(by)
    due = sla_due(
        rule=sla_rule_for(
            request_type=request_type,
            priority=priority,
            value_grade=customer.value_grade,
            branch_id=request.branch_id,
        ),
        start=now,
    )
    request.sla_rule = due.rule
    request.response_due_at, request.resolve_due_at = due.response_due_at, due.resolve_due_at
    request.full_clean(exclude=["number"])
    request._history_user = by
    request.save()
    # The number follows the primary key: unique without a counter table.
    request.number = f"SR{timezone.localdate(now):%Y}{request.pk:06d}"
    ServiceRequest.objects.filter(pk=request.pk).update(number=request.number)
    if backdated:
        ServiceRequest.objects.filter(pk=request.pk).update(created_at=now)
        request.created_at = now
    _set_employees(request, employees)
    _event(request, kind=ServiceEvent.Kind.CREATED, from_status="", by=by, at=now)
    if assignee is not None:
        request = service_request_transition(
            request=request,
            step=Step.CLAIM if assignee == by else Step.ASSIGN,
            by=by,
            assignee=assignee,
            now=now,
        )
    return request


@transaction.atomic
def service_request_set_employees(*, request: ServiceRequest, employees: Iterable, by):
    """Change who a complaint or praise is about."""
    locked = lock_object(ServiceRequest.objects.all(), user=by, obj=request)
    if not (by.has_perm("service.change_servicerequest") or locked.created_by_id == by.pk):
        raise PermissionDenied(NOT_ALLOWED)
    _set_employees(locked, employees)
    return locked


# --- The status flow --------------------------------------------------------------------


def _check_actor(step: str, request: ServiceRequest, by, assignee) -> None:
    manager = _is_manager(by)
    if step == Step.CLAIM:
        if not by.has_perm("service.change_servicerequest"):
            raise PermissionDenied(NOT_ALLOWED)
        if _branch_id(by) != request.branch_id:
            raise PermissionDenied(OTHER_BRANCH_QUEUE)
        return
    if step == Step.ASSIGN:
        if not manager:
            raise PermissionDenied(NOT_ALLOWED)
        if (
            assignee is None
            or not service_agents(branch_id=request.branch_id).filter(pk=assignee.pk).exists()
        ):
            raise ValidationError({"assignee": ASSIGNEE_NOT_AGENT})
        if request.assignee is not None and request.owner_id == assignee.pk:
            raise ValidationError({"assignee": SAME_ASSIGNEE})
        return
    if step == Step.CANCEL and request.created_by_id == by.pk:
        return  # whoever filed it may withdraw it
    if not by.has_perm("service.change_servicerequest"):
        raise PermissionDenied(NOT_ALLOWED)
    if not manager and (request.assignee is None or request.owner_id != by.pk):
        raise PermissionDenied(ONLY_ASSIGNEE)


@transaction.atomic
def service_request_transition(
    *,
    request: ServiceRequest | int,
    step: str,
    by,
    assignee=None,
    resolution: str = "",
    satisfaction: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ServiceRequest:
    """Take one step of the status flow, write its event, notify.

    Refused, with a message saying why and nothing changed: a step the
    request's status does not allow, a user who may not take it, a missing
    resolution, reason or a satisfaction score outside 1–5.
    """
    if step not in _FLOW:
        raise ValidationError(NOT_ALLOWED)
    locked = lock_object(ServiceRequest.objects.select_related("owner"), user=by, obj=request)
    sources, target, kind = _FLOW[step]
    if locked.status not in sources:
        raise ValidationError(
            BAD_STEP % {"status": locked.get_status_display(), "step": STEP_WORDS[step]}
        )
    _check_actor(step, locked, by, assignee)
    now = now or timezone.now()
    note = (note or "").strip()
    from_status = locked.status
    fields = ["status", "updated_at"]

    if step in (Step.CLAIM, Step.ASSIGN):
        locked.assign_owner(by if step == Step.CLAIM else assignee)
        locked.assigned_at = now
        fields += ["owner", "department", "branch", "assigned_at"]
        if locked.status == RequestStatus.NEW:
            locked.status = RequestStatus.ASSIGNED
    elif step == Step.START:
        locked.status = target
        if locked.responded_at is None:
            locked.responded_at = now
            fields.append("responded_at")
    elif step == Step.RESOLVE:
        resolution = (resolution or "").strip()
        if not resolution:
            raise ValidationError({"resolution": RESOLUTION_REQUIRED})
        locked.status, locked.resolution, locked.resolved_at = target, resolution, now
        fields += ["resolution", "resolved_at"]
        if locked.responded_at is None:
            locked.responded_at = now
            fields.append("responded_at")
    elif step == Step.CLOSE:
        if satisfaction is not None and satisfaction not in range(1, 6):
            raise ValidationError({"satisfaction": BAD_SATISFACTION})
        locked.status, locked.satisfaction, locked.closed_at = target, satisfaction, now
        fields += ["satisfaction", "closed_at"]
    elif step in (Step.REOPEN, Step.CANCEL):
        if not note:
            raise ValidationError({"note": REASON_REQUIRED})
        locked.status = target
        if step == Step.REOPEN:
            locked.resolved_at = None
            fields.append("resolved_at")

    locked._history_user = by
    locked.save(update_fields=fields)
    _event(locked, kind=kind, from_status=from_status, by=by, note=note or resolution, at=now)
    if step == Step.ASSIGN and assignee.pk != by.pk:
        notify(
            recipients=[assignee],
            title=lambda: str(ASSIGNED_TITLE) % {"number": locked.number},
            body=locked.subject,
            url=locked.get_absolute_url(),
        )
    return locked


# --- SLA escalation (the beat task calls this) -------------------------------------------


def _breach_text(template, request: ServiceRequest, due: datetime):
    def render() -> str:
        return str(template) % {
            "number": request.number,
            "subject": request.subject,
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        }

    return render


@transaction.atomic
def service_requests_escalate(*, now: datetime | None = None, batch: int = 500) -> int:
    """Mark every open request past a due time as escalated -- once per due
    time (response, resolution) -- with an event, and tell its assignee and
    the branch's service managers. Run again, it finds nothing new; two runs
    at once skip each other's rows (``SKIP LOCKED``)."""
    now = now or timezone.now()
    managers: dict[int, list[int]] = {}
    escalated = 0
    checks = (
        ("response_due_at", "response_escalated_at", BREACH_RESPONSE, UNANSWERED_STATUSES),
        ("resolve_due_at", "resolve_escalated_at", BREACH_RESOLVE, OPEN_STATUSES),
    )
    for due_field, mark_field, template, statuses in checks:
        rows = list(
            ServiceRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status__in=statuses,
                **{f"{due_field}__lt": now, f"{mark_field}__isnull": True},
            )
            .order_by(due_field, "id")[:batch]
        )
        for request in rows:
            setattr(request, mark_field, now)
            ServiceRequest.objects.filter(pk=request.pk).update(**{mark_field: now})
            due = getattr(request, due_field)
            _event(
                request,
                kind=ServiceEvent.Kind.ESCALATED,
                from_status=request.status,
                by=None,
                note=_breach_text(template, request, due)(),
                at=now,
            )
            if request.branch_id not in managers:
                managers[request.branch_id] = list(
                    service_managers(branch_id=request.branch_id).values_list("pk", flat=True)
                )
            recipients = set(managers[request.branch_id])
            if request.assignee is not None:
                recipients.add(request.owner_id)
            notify(
                recipients=recipients,
                title=_breach_text(BREACH_TITLE, request, due),
                body=_breach_text(template, request, due),
                url=request.get_absolute_url(),
            )
            escalated += 1
    return escalated
