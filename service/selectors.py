"""Reads of service requests and care tasks, every one within the user's scope.

Who sees a service request: whoever sees it through its own scope (the
assignee -- its owner --, the service staff of its branch, managers above
them) and whoever sees its *customer* (the customer's owner and the sales
managers above them): ``requests_visible_to``. The queue and "my requests"
read through the request's own scope only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crm.scope import access_object, load_scopes, scope_condition, user_scope
from customers.models import Customer
from service.models import (
    OPEN_STATUSES,
    SLA_WARNING,
    UNANSWERED_STATUSES,
    CareTask,
    CareTaskStatus,
    FeedbackAttribution,
    RequestStatus,
    RequestType,
    ServiceEvent,
    ServiceRequest,
)

#: What the lists show of each request (one join per column, no N+1).
LIST_RELATED = ("customer", "owner", "product")


def requests_visible_to(user) -> QuerySet[ServiceRequest]:
    """The requests ``user`` sees: through their own scope, or because the
    user sees their customer. One query; both scopes load in one round trip."""
    load_scopes(user, [ServiceRequest, Customer])
    own = scope_condition(ServiceRequest, user)
    customers = scope_condition(Customer, user)
    if own is None or customers is None:
        return ServiceRequest.objects.all()
    return ServiceRequest.objects.filter(
        own | Q(customer__in=Customer.objects.filter(customers).values("pk"))
    )


def access_service_request(*, user, pk) -> ServiceRequest:
    """The request ``pk`` if ``user`` sees it (or its customer), else 404."""
    try:
        return (
            requests_visible_to(user)
            .select_related(
                "customer", "contact", "product", "owner", "created_by", "sla_rule", "branch"
            )
            .get(pk=pk)
        )
    except (ServiceRequest.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No visible service request.") from exc


def request_events(request: ServiceRequest) -> QuerySet[ServiceEvent]:
    return request.events.select_related("by", "assignee").order_by("-at", "-id")


def request_employees(request: ServiceRequest) -> QuerySet:
    return (
        FeedbackAttribution.objects.filter(request=request)
        .select_related("employee")
        .order_by("employee__first_name", "employee__username")
    )


def breached_q(now: datetime) -> Q:
    return Q(status__in=UNANSWERED_STATUSES, response_due_at__lt=now) | Q(
        status__in=OPEN_STATUSES, resolve_due_at__lt=now
    )


def soon_q(now: datetime) -> Q:
    """Open, not yet breached, due within ``SLA_WARNING``."""
    limit = now + SLA_WARNING
    return (
        Q(status__in=UNANSWERED_STATUSES, response_due_at__lte=limit)
        | Q(status__in=OPEN_STATUSES, resolve_due_at__lte=limit)
    ) & ~breached_q(now)


@dataclass(frozen=True)
class RequestFilters:
    """The list's filters, from the query string (unknown values ignored)."""

    status: str = "open"  # "open", "all" or a status
    request_type: str = ""
    priority: str = ""
    assigned: str = ""  # "me", "unassigned" or ""
    sla: str = ""  # "breached", "soon" or ""
    customer: int | None = None
    sort: str = "due"  # "due" or "created"

    @classmethod
    def from_query(cls, query) -> RequestFilters:
        from service.models import Priority

        status = query.get("status", "open")
        if status not in ("open", "all", *RequestStatus.values):
            status = "open"
        customer = query.get("customer", "")
        return cls(
            status=status,
            request_type=t if (t := query.get("type", "")) in RequestType.values else "",
            priority=p if (p := query.get("priority", "")) in Priority.values else "",
            assigned=a if (a := query.get("assigned", "")) in ("me", "unassigned") else "",
            sla=s if (s := query.get("sla", "")) in ("breached", "soon") else "",
            customer=int(customer) if customer.isdigit() else None,
            sort="created" if query.get("sort") == "created" else "due",
        )


def request_list(*, user, filters: RequestFilters, now: datetime | None = None):
    """The request list: filtered in SQL on indexed columns, sorted by the due
    time (soonest first) or by creation (newest first)."""
    now = now or timezone.now()
    queryset = requests_visible_to(user).select_related(*LIST_RELATED)
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status != "all":
        queryset = queryset.filter(status=filters.status)
    if filters.request_type:
        queryset = queryset.filter(request_type=filters.request_type)
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    if filters.assigned == "me":
        queryset = queryset.filter(owner=user, assigned_at__isnull=False)
    elif filters.assigned == "unassigned":
        queryset = queryset.filter(status=RequestStatus.NEW)
    if filters.sla == "breached":
        queryset = queryset.filter(breached_q(now))
    elif filters.sla == "soon":
        queryset = queryset.filter(soon_q(now))
    if filters.customer is not None:
        queryset = queryset.filter(customer_id=filters.customer)
    if filters.sort == "created":
        return queryset.order_by("-created_at", "-id")
    return queryset.order_by(F("resolve_due_at").asc(nulls_last=True), "id")


def queue(*, user) -> QuerySet[ServiceRequest]:
    """The unassigned requests of the user's branch, soonest response due first."""
    scope = user_scope(user, model=ServiceRequest)
    if scope.branch_id is None:
        return ServiceRequest.objects.none()
    return (
        ServiceRequest.objects.visible_to(user)
        .queue(branch_id=scope.branch_id)
        .select_related(*LIST_RELATED)
        .order_by(F("response_due_at").asc(nulls_last=True), "id")
    )


def my_requests(*, user) -> QuerySet[ServiceRequest]:
    """The requests assigned to the user that still need them (open or
    resolved and waiting to be closed), soonest resolution due first."""
    return (
        ServiceRequest.objects.assigned_to(user)
        .filter(status__in=[*OPEN_STATUSES, RequestStatus.RESOLVED])
        .select_related(*LIST_RELATED)
        .order_by(F("resolve_due_at").asc(nulls_last=True), "id")
    )


def today_service_card(*, user, now: datetime | None = None, shown: int = 5) -> dict:
    """The start page's service card: my open requests (counts of the overdue
    and the soon due in one aggregate), the first few by due time, and the
    size of my branch's queue."""
    now = now or timezone.now()
    mine = ServiceRequest.objects.assigned_to(user).filter(status__in=OPEN_STATUSES)
    counts = mine.aggregate(
        open=Count("pk"),
        breached=Count("pk", filter=breached_q(now)),
        soon=Count("pk", filter=soon_q(now)),
    )
    return {
        **counts,
        "requests": list(my_requests(user=user).filter(status__in=OPEN_STATUSES)[:shown]),
        "queue": queue(user=user).count(),
    }


def customer_requests(*, user, customer: Customer) -> QuerySet[ServiceRequest]:
    """A customer's requests for its page: all of them if the user sees the
    customer (the caller checked that), newest first."""
    del user  # the customer's scope decides; kept for the selector signature
    return (
        ServiceRequest.objects.filter(customer=customer)
        .select_related("owner", "product")
        .order_by("-created_at", "-id")
    )


# --- Care tasks ----------------------------------------------------------------------------


def care_tasks(*, user, status: str = CareTaskStatus.OPEN, mine: bool = False):
    queryset = CareTask.objects.visible_to(user)
    if mine:
        queryset = queryset.filter(owner=user)
    if status in CareTaskStatus.values:
        queryset = queryset.filter(status=status)
    order = ("due_date", "id") if status == CareTaskStatus.OPEN else ("-due_date", "-id")
    return queryset.select_related("customer", "contact", "owner", "finished_by").order_by(*order)


def access_care_task(*, user, pk) -> CareTask:
    return access_object(
        CareTask.objects.select_related("customer", "contact", "owner", "rule", "finished_by"),
        user=user,
        pk=pk,
    )


def today_care_card(*, user, today: date | None = None, days: int = 7, shown: int = 5) -> dict:
    """My open care to-dos due within ``days`` or overdue."""
    today = today or timezone.localdate()
    due = CareTask.objects.filter(
        owner=user, status=CareTaskStatus.OPEN, due_date__lte=today + timedelta(days=days)
    )
    return {
        **due.aggregate(count=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today))),
        "tasks": list(due.select_related("customer", "contact").order_by("due_date", "id")[:shown]),
    }


# --- Complaints and praise per employee (SVC-3) --------------------------------------


def feedback_per_employee(
    *, start: datetime, end: datetime, requests: QuerySet[ServiceRequest] | None = None
) -> QuerySet:
    """Complaints and praise per employee concerned, for requests created in
    ``[start, end)``: rows ``{"employee": id, "complaints": n, "praise": n}``,
    counted in SQL (a later ranking joins them to its employees). ``requests``
    narrows to a scoped queryset (``requests_visible_to(user)``); cancelled
    requests do not count."""
    attributions = FeedbackAttribution.objects.filter(
        request__created_at__gte=start,
        request__created_at__lt=end,
        request__request_type__in=[RequestType.COMPLAINT, RequestType.PRAISE],
    ).exclude(request__status=RequestStatus.CANCELLED)
    if requests is not None:
        attributions = attributions.filter(request__in=requests.values("pk"))
    return (
        attributions.values("employee")
        .annotate(
            complaints=Count("pk", filter=Q(request__request_type=RequestType.COMPLAINT)),
            praise=Count("pk", filter=Q(request__request_type=RequestType.PRAISE)),
        )
        .order_by("employee")
    )
