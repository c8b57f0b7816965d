"""Reads of quotes and their approval tasks, always within the user's scope
(a quote outside it is a 404) or through a task that names the user."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from viewflow.workflow.models import Task

from approvals import selectors as approvals
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
    return approvals.open_task(Quote, quote.pk)


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
    return _with_quote(approvals.flow_tasks(Quote))


def inbox_tasks(user) -> QuerySet[Task]:
    """Steps assigned to the user and open steps the user may decide."""
    return approvals.waiting_for(approval_tasks(user), user)


def queue_tasks(user) -> QuerySet[Task]:
    """Open steps shared by several approvers, the user among them."""
    return approvals.shared_with(approval_tasks(user), user)


def archive_tasks(user) -> QuerySet[Task]:
    """Steps the user decided, and the approvals the user started."""
    return approvals.decided_or_started_by(approval_tasks(user), user)


def access_task(*, user, process_pk: int, task_pk: int) -> Task:
    """An approval task the user may see: its quote is in scope, or the user
    owns it or may decide it. 404 otherwise."""
    return approvals.access_task(model=Quote, user=user, process_pk=process_pk, task_pk=task_pk)


def access_quote_for_task(*, process) -> Quote:
    """The quote of an approval process whose task ``access_task`` already
    authorised: an approver from another department sees the quote they must
    decide, through the task."""
    return Quote.objects.select_related(*QUOTE_RELATED).get(pk=process.artifact_object_id)
