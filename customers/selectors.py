"""Reads of customers; every one goes through the user's data scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from crm.scope import access_object
from customers.models import (
    Contact,
    Customer,
    DecisionRole,
    FollowUp,
    LifecycleEvent,
    LifecycleStage,
)


def customer_list(*, user) -> QuerySet[Customer]:
    return Customer.objects.visible_to(user).select_related("owner", "department", "branch")


def access_customer(*, user, pk) -> Customer:
    """The customer ``pk`` if ``user`` may see it, else 404."""
    return access_object(customer_list(user=user), user=user, pk=pk)


def today_customers_panel(request) -> dict:
    """Start-page card: how many customers I see, and the latest I own."""
    visible = Customer.objects.visible_to(request.user)
    return {
        "visible_count": visible.count(),
        "recent": list(
            visible.filter(owner=request.user)
            .only("id", "name", "region", "updated_at")
            .order_by("-updated_at")[:5]
        ),
    }


# --- The 360° page (CUS-2) ----------------------------------------------------

#: How many follow-ups the customer page shows; the rest are one link away.
FOLLOW_UPS_SHOWN = 20
#: A decider not met for this long is a coverage gap (CUS-5).
DECIDER_NOT_MET_DAYS = 30


def customer_contacts(*, user, customer: Customer) -> QuerySet[Contact]:
    """The customer's contacts the user may see, with their superiors."""
    return (
        Contact.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("reports_to")
        .order_by("-is_active", "name", "id")
    )


def customer_follow_ups(*, user, customer: Customer) -> QuerySet[FollowUp]:
    """The customer's follow-ups the user may see, newest first, with who took part."""
    return (
        FollowUp.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("owner")
        .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("id", "name")))
        .order_by("-occurred_at", "-id")
    )


def customer_lifecycle_events(*, customer: Customer) -> QuerySet[LifecycleEvent]:
    """The customer's lifecycle history (readable by whoever sees the customer)."""
    return customer.lifecycle_events.select_related("by").order_by("-at", "-id")


@dataclass(frozen=True)
class CoverageGap:
    kind: str  # "no_decider" | "decider_not_met"
    contact: Contact | None = None


def decision_coverage_gaps(contacts: list[Contact], *, now: datetime) -> list[CoverageGap]:
    """Gaps in the decision tree (CUS-5), from contacts already read: no
    decider among the active contacts, or a decider not met for 30 days."""
    deciders = [c for c in contacts if c.is_active and c.decision_role == DecisionRole.DECIDER]
    if not deciders:
        return [CoverageGap(kind="no_decider")]
    since = now - timedelta(days=DECIDER_NOT_MET_DAYS)
    return [
        CoverageGap(kind="decider_not_met", contact=c)
        for c in deciders
        if c.last_met_at is None or c.last_met_at < since
    ]


def contact_follow_ups(*, user, contact: Contact) -> QuerySet[FollowUp]:
    """Follow-ups the contact took part in that the user may see."""
    return (
        FollowUp.objects.visible_to(user)
        .filter(contacts=contact)
        .select_related("owner", "customer")
        .order_by("-occurred_at", "-id")
    )


def access_contact(*, user, pk) -> Contact:
    """The contact ``pk`` if ``user`` may see it, else 404."""
    return access_object(Contact.objects.select_related("customer", "reports_to"), user=user, pk=pk)


def access_follow_up(*, user, pk) -> FollowUp:
    """The follow-up ``pk`` if ``user`` may see it, else 404."""
    return access_object(FollowUp.objects.select_related("customer"), user=user, pk=pk)


# --- Lifecycle counts (CUS-3) ---------------------------------------------------


def lifecycle_counts(*, user, at: date | datetime | None = None) -> dict[str, int]:
    """How many of the user's customers are in each stage, now or at ``at``.

    For a past date the stage of a customer is the ``to_stage`` of its latest
    lifecycle event at or before that moment (the end of the day for a
    date); customers created later are not counted. One SQL query: the
    latest event per customer with ``DISTINCT ON``, grouped and counted in
    the database.
    """
    scoped = Customer.objects.visible_to(user)
    if at is None:
        rows = scoped.order_by().values_list("lifecycle_stage").annotate(n=Count("id"))
    else:
        if isinstance(at, datetime):
            events = LifecycleEvent.objects.filter(at__lte=at)
        else:
            next_midnight = timezone.make_aware(datetime.combine(at + timedelta(days=1), time()))
            events = LifecycleEvent.objects.filter(at__lt=next_midnight)
        latest = (
            events.filter(customer__in=scoped.order_by().values("pk"))
            .order_by("customer_id", "-at", "-id")
            .distinct("customer_id")
            .values("id")
        )
        rows = (
            LifecycleEvent.objects.filter(id__in=latest)
            .order_by()
            .values_list("to_stage")
            .annotate(n=Count("id"))
        )
    counts = dict.fromkeys(LifecycleStage.values, 0)
    counts.update(dict(rows))
    return counts


# --- Start page (CUS-6) ---------------------------------------------------------

#: How many due next steps the start-page card lists.
NEXT_STEPS_SHOWN = 10


def today_next_steps_panel(request) -> dict:
    """Start-page card: my open next steps due today or overdue."""
    today = timezone.localdate()
    due = (
        FollowUp.objects.visible_to(request.user)
        .filter(owner=request.user)
        .next_steps_due(on=today)
        .select_related("customer")
        .only(
            "id",
            "subject",
            "next_step",
            "next_step_date",
            "customer_id",
            "customer__id",
            "customer__name",
        )
        .order_by("next_step_date", "id")
    )
    steps = list(due[: NEXT_STEPS_SHOWN + 1])
    return {
        "today": today,
        "steps": steps[:NEXT_STEPS_SHOWN],
        "more": len(steps) > NEXT_STEPS_SHOWN,
    }
