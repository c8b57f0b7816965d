"""Reads of opportunities; every one goes through the user's data scope.

Lists start from ``Opportunity.objects.visible_to(user)`` (or the pool,
``pool_for``); a single deal is fetched with ``access_opportunity`` (404
outside the scope). Figures (counts, sums) are computed in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from crm.handover import employees_in_scope
from crm.models import Employee
from crm.scope import access_object
from customers.models import Contact, Customer, CustomerType, FollowUp
from projects.models import (
    Comment,
    Evaluation,
    LossReason,
    Opportunity,
    OpportunityMember,
    OpportunityPartner,
    OpportunityProduct,
    Process,
    Product,
    Question,
    QuestionOption,
    Stage,
    StageEvent,
    StagePlan,
    Todo,
)

User = get_user_model()


# --- Single deals and lists ---------------------------------------------------


def opportunity_list(*, user) -> QuerySet[Opportunity]:
    """The deals ``user`` may see, with what a row or a page header shows."""
    return Opportunity.objects.visible_to(user).select_related(
        "customer", "process", "stage", "owner", "department", "branch", "loss_reason"
    )


def access_opportunity(*, user, pk) -> Opportunity:
    """The deal ``pk`` if ``user`` may see it, else 404."""
    return access_object(opportunity_list(user=user), user=user, pk=pk)


def default_process() -> Process | None:
    """The process the board shows first: the complex one, else the first active."""
    processes = list(Process.objects.filter(is_active=True).order_by("order", "id"))
    return next((p for p in processes if p.kind == Process.Kind.COMPLEX), None) or (
        processes[0] if processes else None
    )


def month_bounds(month: date) -> tuple[date, date]:
    """[first day of ``month``, first day of the next month)."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


class RotDeadline(Func):
    """``now() - make_interval(days => stage.rot_days)``: when a deal that
    entered its stage before this moment is rotting."""

    template = "(NOW() - make_interval(days => %(expressions)s))"
    output_field = DateTimeField()


def rotting(queryset: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """Open deals that stayed longer than their stage's rot days."""
    return queryset.filter(
        status=Stage.Kind.OPEN,
        stage__rot_days__isnull=False,
        stage_entered_at__lt=RotDeadline(F("stage__rot_days")),
    )


def is_rotting(opportunity: Opportunity, *, now: datetime) -> bool:
    """The same rule for a deal already read (its stage selected with it)."""
    days = opportunity.stage.rot_days
    return (
        opportunity.is_open
        and days is not None
        and opportunity.stage_entered_at < now - timedelta(days=days)
    )


def employee_choices(user) -> QuerySet[Employee]:
    """Active employees ``user`` may pick as owner filters: their scope and themself."""
    return (
        Employee.objects.filter(
            Q(pk__in=employees_in_scope(user).values("pk")) | Q(user=user), is_active=True
        )
        .select_related("user")
        .order_by("user__username")
    )


def assignable_reps(user) -> list[Employee]:
    """Active employees ``user`` may assign deals to, each with their count of
    open deals (``open_deals``), in one query."""
    open_deals = (
        Opportunity.objects.filter(owner_id=OuterRef("user_id"), status=Stage.Kind.OPEN)
        .order_by()
        .values("owner_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        employees_in_scope(user)
        .filter(is_active=True)
        .annotate(open_deals=Coalesce(Subquery(open_deals, output_field=IntegerField()), 0))
        .order_by("user__username")
    )


# --- The deal workspace (OPP-5..7, OPP-9) -----------------------------------------

#: How many of each growing list the page shows; the rest is one link away.
EVENTS_SHOWN = 50
FOLLOW_UPS_SHOWN = 20
TODOS_SHOWN = 50
COMMENTS_SHOWN = 50
EVALUATIONS_SHOWN = 10
PLAN_ITEMS_SHOWN = 100


@dataclass
class Workspace:
    """Everything the deal page shows, each list read in one query."""

    stages: list[Stage]
    events: list[StageEvent]
    members: list[OpportunityMember]
    partners: list[OpportunityPartner]
    key_contacts: list[Contact]
    customer_contacts: list[Contact]
    plan_items: list[StagePlan]
    follow_ups: list[FollowUp]
    todos: list[Todo]
    comments: list[Comment]
    product_lines: list[OpportunityProduct]
    questions: list[Question]
    evaluations: list[Evaluation]
    loss_reasons: list[LossReason] = field(default_factory=list)

    @property
    def open_stages(self) -> list[Stage]:
        return [s for s in self.stages if s.is_open and s.is_active]

    @property
    def closing_stages(self) -> list[Stage]:
        return [s for s in self.stages if not s.is_open]

    @property
    def products_total(self) -> Decimal:
        return sum((line.amount for line in self.product_lines), Decimal("0"))


def deal_workspace(*, user, opportunity: Opportunity) -> Workspace:
    """The lists of the deal page. Work under the deal (events, team,
    follow-ups linked to it, to-dos, comments, plan, products, evaluations)
    is part of the deal: whoever sees the deal sees it. The customer's
    contacts offered for a follow-up are those the user may see."""
    deal = opportunity
    return Workspace(
        stages=list(Stage.objects.filter(process_id=deal.process_id).order_by("order", "id")),
        events=list(
            deal.stage_events.select_related("from_stage", "to_stage", "by").order_by("-at", "-id")[
                :EVENTS_SHOWN
            ]
        ),
        members=list(deal.members.select_related("user").order_by("added_at", "id")),
        partners=list(deal.partners.select_related("partner").order_by("id")),
        key_contacts=list(deal.contacts.select_related("reports_to").order_by("name", "id")),
        customer_contacts=list(
            Contact.objects.visible_to(user)
            .filter(customer_id=deal.customer_id, is_active=True)
            .only("id", "name", "customer_id")
            .order_by("name", "id")
        ),
        plan_items=list(
            deal.plan_items.select_related("stage").order_by("order", "planned_start", "id")[
                :PLAN_ITEMS_SHOWN
            ]
        ),
        follow_ups=list(
            deal.follow_ups.select_related("owner")
            .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("id", "name")))
            .order_by("-occurred_at", "-id")[:FOLLOW_UPS_SHOWN]
        ),
        todos=list(
            deal.todos.select_related("assignee").order_by(
                F("done_at").desc(nulls_first=True), "due_date", "id"
            )[:TODOS_SHOWN]
        ),
        comments=list(
            deal.comments.select_related("author").order_by("-created_at", "-id")[:COMMENTS_SHOWN]
        )[::-1],
        product_lines=list(deal.product_lines.select_related("product").order_by("id")),
        questions=list(
            Question.objects.filter(process_id=deal.process_id, is_active=True)
            .prefetch_related(
                Prefetch("options", queryset=QuestionOption.objects.order_by("order", "id"))
            )
            .order_by("order", "id")
        ),
        evaluations=list(
            deal.evaluations.select_related("by")
            .prefetch_related("answers")
            .order_by("-at", "-id")[:EVALUATIONS_SHOWN]
        ),
        loss_reasons=list(LossReason.objects.filter(is_active=True).order_by("order", "name")),
    )


def partner_choices(user) -> QuerySet[Customer]:
    """Partner and distributor companies the user may see."""
    return (
        Customer.objects.visible_to(user)
        .filter(type__in=[CustomerType.PARTNER, CustomerType.DISTRIBUTOR], is_archived=False)
        .only("id", "name")
        .order_by("name", "id")
    )


def colleague_choices() -> QuerySet:
    """Active employees who can join a deal team (whatever their scope)."""
    return (
        User.objects.filter(is_active=True, employee__is_active=True)
        .only("id", "username", "first_name", "last_name")
        .order_by("username")
    )


def active_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("code")


# --- Pipeline board (OPP-8) ---------------------------------------------------

#: Cards per column on the board, and per page of one column.
CARDS_PER_COLUMN = 20


@dataclass
class Column:
    stage: Stage
    count: int = 0
    total: Decimal = Decimal("0")
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def more(self) -> bool:
        return self.count > len(self.cards)


def board_queryset(*, user, process: Process, owner_id: int | None = None):
    """Open deals of ``process`` the user sees, optionally of one owner."""
    queryset = Opportunity.objects.visible_to(user).filter(process=process, status=Stage.Kind.OPEN)
    if owner_id:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset


def _card_rows(queryset):
    return queryset.select_related("customer", "owner", "stage").only(
        "id",
        "title",
        "expected_amount",
        "expected_close_date",
        "stage_entered_at",
        "status",
        "stage_id",
        "stage__id",
        "stage__rot_days",
        "stage__kind",
        "customer__id",
        "customer__name",
        "owner__id",
        "owner__username",
        "owner__first_name",
        "owner__last_name",
    )


CARD_ORDER = ("-expected_amount", "id")


def board_columns(
    *, user, process: Process, stages: list[Stage], owner_id: int | None = None
) -> list[Column]:
    """One column per open stage: count and sum of expected amounts (one
    ``GROUP BY``) and the first ``CARDS_PER_COLUMN`` cards of each (one
    ``UNION ALL`` of per-stage ``LIMIT`` queries, each walking the
    ``(stage, -expected_amount, id)`` index), whatever the number of deals."""
    scoped = board_queryset(user=user, process=process, owner_id=owner_id)
    columns = {stage.pk: Column(stage=stage) for stage in stages}
    if not columns:
        return []
    figures = (
        scoped.order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Coalesce(Sum("expected_amount"), Value(Decimal("0"))))
    )
    for row in figures:
        column = columns.get(row["stage_id"])
        if column is not None:
            column.count, column.total = row["n"], row["total"]
    arms = [
        _card_rows(scoped.filter(stage_id=stage_id)).order_by(*CARD_ORDER)[:CARDS_PER_COLUMN]
        for stage_id, column in columns.items()
        if column.count
    ]
    if arms:
        cards = arms[0].union(*arms[1:], all=True) if len(arms) > 1 else arms[0]
        for card in cards:
            columns[card.stage_id].cards.append(card)
        for column in columns.values():
            column.cards.sort(key=lambda c: (-c.expected_amount, c.pk))
    return list(columns.values())


def column_page(
    *, user, process: Process, stage: Stage, page: int, owner_id: int | None = None
) -> tuple[list[Opportunity], bool]:
    """Page ``page`` (from 1) of one column: its cards and whether more follow."""
    offset = (page - 1) * CARDS_PER_COLUMN
    rows = list(
        _card_rows(board_queryset(user=user, process=process, owner_id=owner_id))
        .filter(stage=stage)
        .order_by(*CARD_ORDER)[offset : offset + CARDS_PER_COLUMN + 1]
    )
    return rows[:CARDS_PER_COLUMN], len(rows) > CARDS_PER_COLUMN


# --- Pool (OPP-2) ---------------------------------------------------------------


def pool_list(*, user) -> QuerySet[Opportunity]:
    """Pooled deals ``user`` may claim or assign, newest first."""
    return (
        Opportunity.objects.pool_for(user)
        .select_related("customer", "stage", "process", "department")
        .order_by("-created_at", "-id")
    )


def access_pooled_or_visible(*, user, pk) -> Opportunity:
    """A deal the user sees or may claim from the pool, else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404("No visible opportunity.") from exc
    reachable = (
        Opportunity.objects.visible_to(user)
        .filter(pk=pk)
        .values("pk")
        .union(Opportunity.objects.pool_for(user).filter(pk=pk).values("pk"))
    )
    opportunity = Opportunity.objects.filter(pk__in=reachable).select_related("customer").first()
    if opportunity is None:
        raise Http404("No visible opportunity.")
    return opportunity


# --- Start page ("Today", ANA-4) and the customer page ----------------------------

#: Rows per start-page card.
TODAY_SHOWN = 10


def today_todos_panel(request) -> dict:
    """My open to-dos due today or overdue, on deals I see."""
    today = timezone.localdate()
    rows = list(
        Todo.objects.filter(
            assignee=request.user,
            done_at__isnull=True,
            due_date__lte=today,
            opportunity__in=Opportunity.objects.visible_to(request.user).values("pk"),
        )
        .select_related("opportunity")
        .only("id", "title", "due_date", "opportunity__id", "opportunity__title")
        .order_by("due_date", "id")[: TODAY_SHOWN + 1]
    )
    return {"today": today, "todos": rows[:TODAY_SHOWN], "more": len(rows) > TODAY_SHOWN}


def _my_open_deals(user):
    return (
        Opportunity.objects.visible_to(user)
        .filter(owner=user, status=Stage.Kind.OPEN)
        .select_related("customer", "stage")
        .only(
            "id",
            "title",
            "expected_amount",
            "expected_close_date",
            "stage_entered_at",
            "status",
            "customer__id",
            "customer__name",
            "stage__id",
            "stage__name",
            "stage__name_en",
            "stage__rot_days",
            "stage__kind",
        )
    )


def today_rotting_panel(request) -> dict:
    """My open deals that stayed in their stage longer than its rot days."""
    rows = list(
        rotting(_my_open_deals(request.user)).order_by("stage_entered_at", "id")[: TODAY_SHOWN + 1]
    )
    return {"deals": rows[:TODAY_SHOWN], "more": len(rows) > TODAY_SHOWN, "now": timezone.now()}


def today_closing_panel(request) -> dict:
    """My open deals expected to close this month, and how many of my open
    deals are past their expected close date (they need a new date)."""
    today = timezone.localdate()
    first, following = month_bounds(today)
    mine = _my_open_deals(request.user)
    rows = list(
        mine.filter(expected_close_date__gte=first, expected_close_date__lt=following).order_by(
            "expected_close_date", "id"
        )[: TODAY_SHOWN + 1]
    )
    return {
        "today": today,
        "month": today.strftime("%Y-%m"),
        "deals": rows[:TODAY_SHOWN],
        "more": len(rows) > TODAY_SHOWN,
        "overdue": mine.filter(expected_close_date__lt=first).count(),
    }


#: Deals listed on the customer's page.
CUSTOMER_DEALS_SHOWN = 20


def customer_deals(*, user, customer: Customer) -> QuerySet[Opportunity]:
    """The customer's deals the user may see, open ones first."""
    return (
        Opportunity.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("stage", "owner")
        .order_by(F("closed_at").desc(nulls_first=True), "-created_at", "-id")
    )
