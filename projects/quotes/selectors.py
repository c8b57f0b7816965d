"""Reads of quotes and their approval tasks, always within the user's scope
(a quote outside it is a 404) or through a task that names the user."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from crm.scope import access_object
from projects.models import Quote, QuoteDecision, QuoteLine

QUOTE_RELATED = ("customer", "opportunity", "owner", "submitted_by", "previous")


def quotes_visible_to(user) -> QuerySet[Quote]:
    return Quote.objects.visible_to(user).select_related("customer", "opportunity", "owner")


def access_quote(*, user, pk) -> Quote:
    return access_object(Quote.objects.select_related(*QUOTE_RELATED), user=user, pk=pk)


def quote_lines(quote: Quote) -> list[QuoteLine]:
    return list(quote.lines.select_related("product").order_by("position", "id"))


def quote_versions(quote: Quote, *, user) -> list[Quote]:
    """Every version of the quote's number that the user sees, newest first."""
    return list(
        Quote.objects.visible_to(user)
        .filter(number=quote.number)
        .only("id", "number", "version", "status", "total", "created_at")
        .order_by("-version")
    )


def quote_decisions(quote: Quote) -> list[QuoteDecision]:
    return list(quote.decisions.select_related("by").order_by("at", "id"))


def open_task(quote: Quote) -> Task | None:
    """The approval step the quote waits for, if any."""
    from projects.quotes.flows import QuoteApprovalFlow

    return (
        Task.objects.filter(
            process__flow_class=QuoteApprovalFlow,
            process__artifact_object_id=quote.pk,
            process__finished__isnull=True,
            flow_task_type="HUMAN",
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
        .select_related("owner", "process")
        .order_by("-created")
        .first()
    )


def chain_with_names(chain: list[dict]) -> list[dict]:
    """The stored chain with each step's approvers' names (one query)."""
    ids = {pk for step in chain for pk in step.get("approvers", [])}
    users = {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=ids)
    }
    return [
        {**step, "approver_names": [users[pk] for pk in step.get("approvers", []) if pk in users]}
        for step in chain
    ]


def _with_quote(tasks: QuerySet[Task]) -> QuerySet[Task]:
    quote = Quote.objects.filter(pk=OuterRef("process__artifact_object_id"))
    return tasks.select_related("process", "owner").annotate(
        quote_id=Subquery(quote.values("pk")[:1]),
        quote_number=Subquery(quote.values("number")[:1]),
        quote_version=Subquery(quote.values("version")[:1]),
        quote_total=Subquery(quote.values("total")[:1]),
        quote_status=Subquery(quote.values("status")[:1]),
        customer_name=Subquery(quote.values("customer__name")[:1]),
    )


def approval_tasks(user) -> QuerySet[Task]:
    from projects.quotes.flows import QuoteApprovalFlow

    return _with_quote(Task.objects.filter(process__flow_class=QuoteApprovalFlow))


def inbox_tasks(user) -> QuerySet[Task]:
    """Steps assigned to the user and open steps the user may decide."""
    return (
        approval_tasks(user)
        .filter(
            Q(owner=user, status=STATUS.ASSIGNED)
            | Q(owner__isnull=True, status=STATUS.NEW, data__approvers__contains=[user.pk])
        )
        .order_by("created", "id")
    )


def queue_tasks(user) -> QuerySet[Task]:
    """Open steps shared by several approvers, the user among them."""
    return (
        approval_tasks(user)
        .filter(owner__isnull=True, status=STATUS.NEW, data__approvers__contains=[user.pk])
        .order_by("created", "id")
    )


def archive_tasks(user) -> QuerySet[Task]:
    """Steps the user decided, and the approvals the user started."""
    return (
        approval_tasks(user)
        .filter(owner=user, finished__isnull=False)
        .filter(flow_task_type__in=["HUMAN", "START"])
        .order_by("-finished", "-id")
    )


def access_task(*, user, process_pk: int, task_pk: int) -> Task:
    """An approval task the user may see: its quote is in scope, or the user
    owns it or may decide it. 404 otherwise."""
    from projects.quotes.flows import QuoteApprovalFlow

    task = (
        Task.objects.filter(
            pk=task_pk, process_id=process_pk, process__flow_class=QuoteApprovalFlow
        )
        .select_related("process", "owner")
        .first()
    )
    if task is None or not QuoteApprovalFlow.instance.has_view_permission(
        user, task.process.coerced
    ):
        raise Http404("No such approval step.")
    return task


def access_quote_for_task(*, process) -> Quote:
    """The quote of an approval process whose task ``access_task`` already
    authorised: an approver from another department sees the quote they must
    decide, through the task."""
    return Quote.objects.select_related(*QUOTE_RELATED).get(pk=process.artifact_object_id)
