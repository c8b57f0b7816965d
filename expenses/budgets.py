"""Budgets (EXP-1) and their execution (EXP-3).

Budget lines are written by finance (``expenses.change_budget``) through
``budget_create`` / ``budget_update``; a line overlapping another of the same
department, category and deal (or no deal) is refused by the database's
exclusion constraint, and first by ``full_clean`` with a clear message.

A claim counts against every line of its department and category whose
period holds its date and whose deal is none or the claim's deal. Approved
claims count at once; on submission a claim that would take a line over its
amount is flagged or refused, as ``ExpenseSettings.over_budget`` says.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from crm.scope import user_scope
from expenses.models import Budget, ClaimStatus, ExpenseClaim, PeriodKind

NOT_FINANCE = _("Only finance may change budget lines.")
BAD_PERIOD = _("Choose a month from 1 to 12 or a quarter from 1 to 4.")
OVER_BUDGET = _(
    "This claim takes the budget “%(budget)s” over its amount: %(used)s of %(amount)s "
    "would be used."
)
MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


def period_bounds(kind: str, year: int, number: int = 1) -> tuple[date, date]:
    """First and last day of month ``number``, quarter ``number`` or the year."""
    if kind == PeriodKind.YEAR:
        return date(year, 1, 1), date(year, 12, 31)
    if kind == PeriodKind.QUARTER:
        if not 1 <= number <= 4:
            raise ValidationError(BAD_PERIOD)
        first = 3 * (number - 1) + 1
        return date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    if not 1 <= number <= 12:
        raise ValidationError(BAD_PERIOD)
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def _check(by) -> None:
    if not by.has_perm("expenses.change_budget"):
        raise PermissionDenied(NOT_FINANCE)


def _save(budget: Budget, by) -> Budget:
    budget.full_clean()  # the exclusion constraint answers with its message
    budget._history_user = by
    budget.save()
    return budget


@transaction.atomic
def budget_create(
    *,
    by,
    department,
    category,
    period_kind: str,
    year: int,
    number: int = 1,
    amount: Decimal,
    opportunity=None,
    note: str = "",
) -> Budget:
    _check(by)
    if opportunity:
        from crm.scope import access_object
        from projects.models import Opportunity

        opportunity = access_object(
            Opportunity.objects.all(), user=by, pk=getattr(opportunity, "pk", opportunity)
        )
    starts_on, ends_on = period_bounds(period_kind, year, number or 1)
    return _save(
        Budget(
            department=department,
            category=category,
            period_kind=period_kind,
            starts_on=starts_on,
            ends_on=ends_on,
            opportunity=opportunity,
            amount=amount,
            note=note,
        ),
        by,
    )


@transaction.atomic
def budget_update(*, budget: Budget, by, amount: Decimal | None = None, note: str | None = None):
    _check(by)
    locked = Budget.objects.select_for_update().get(pk=budget.pk)
    if amount is not None:
        locked.amount = amount
    if note is not None:
        locked.note = note
    return _save(locked, by)


# --- What a claim counts against ----------------------------------------------------------


def lines_for(claim: ExpenseClaim) -> QuerySet[Budget]:
    """The budget lines a claim counts against."""
    deal = Q(opportunity__isnull=True)
    if claim.opportunity_id:
        deal |= Q(opportunity_id=claim.opportunity_id)
    return Budget.objects.filter(
        deal,
        department_id=claim.department_id,
        category_id=claim.category_id,
        starts_on__lte=claim.spent_on,
        ends_on__gte=claim.spent_on,
    )


def _sum(statuses, *, deal_only: bool) -> Coalesce:
    """Σ of the claims counting against the line ``OuterRef`` stands for."""
    claims = ExpenseClaim.objects.filter(
        department_id=OuterRef("department_id"),
        category_id=OuterRef("category_id"),
        spent_on__gte=OuterRef("starts_on"),
        spent_on__lte=OuterRef("ends_on"),
        status__in=statuses,
    )
    if deal_only:
        claims = claims.filter(opportunity_id=OuterRef("opportunity_id"))
    total = claims.order_by().values("department_id").annotate(total=Sum("amount"))
    return Coalesce(Subquery(total.values("total")[:1], output_field=MONEY), ZERO)


def _line_sum(statuses) -> Case:
    """A line for no deal counts every claim; a deal's line, that deal's."""
    return Case(
        When(opportunity__isnull=True, then=_sum(statuses, deal_only=False)),
        default=_sum(statuses, deal_only=True),
        output_field=MONEY,
    )


def with_execution(lines: QuerySet[Budget]) -> QuerySet[Budget]:
    """Budget lines with what was submitted (waiting) and approved against
    them, computed in SQL (one correlated sum each, on the claims' index)."""
    return lines.annotate(
        submitted=_line_sum([ClaimStatus.SUBMITTED]),
        approved=_line_sum([ClaimStatus.APPROVED]),
    )


def over_budget_lines(claim: ExpenseClaim) -> list[Budget]:
    """The lines this claim, with the approved ones, takes over their amount."""
    over = []
    for line in with_execution(lines_for(claim)):
        used = line.approved + claim.amount
        if used > line.amount:
            line.used = used
            over.append(line)
    return over


# --- Execution (EXP-3) ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionFilters:
    department: int | None = None
    category: int | None = None
    year: int | None = None
    kind: str = ""
    deal: int | None = None

    @classmethod
    def from_query(cls, query) -> ExecutionFilters:
        def number(key):
            value = query.get(key, "")
            return int(value) if value.isdigit() and len(value) < 10 else None

        kind = query.get("kind", "")
        return cls(
            department=number("department"),
            category=number("category"),
            year=number("year"),
            kind=kind if kind in PeriodKind.values else "",
            deal=number("deal"),
        )


def budgets_visible_to(user) -> QuerySet[Budget]:
    """Budget lines of the departments in the user's scope (all of them for
    company-wide scopes, the branch's for a branch scope)."""
    scope = user_scope(user)
    if scope.sees_all:
        return Budget.objects.all()
    if scope.level == "branch" and scope.branch_id:
        return Budget.objects.filter(department__branch_id=scope.branch_id)
    if scope.department_ids:
        return Budget.objects.filter(department_id__in=scope.department_ids)
    return Budget.objects.none()


def budget_execution(*, user, filters: ExecutionFilters) -> QuerySet[Budget]:
    """Budget vs submitted vs approved per line, filtered, in SQL."""
    lines = budgets_visible_to(user)
    if filters.department:
        lines = lines.filter(department_id=filters.department)
    if filters.category:
        lines = lines.filter(category_id=filters.category)
    if filters.year:
        lines = lines.filter(starts_on__year=filters.year)
    if filters.kind:
        lines = lines.filter(period_kind=filters.kind)
    if filters.deal:
        lines = lines.filter(opportunity_id=filters.deal)
    return with_execution(
        lines.select_related("department", "category", "opportunity").order_by(
            "-starts_on", "department_id", "category_id", "id"
        )
    )


def execution_totals(lines: QuerySet[Budget]) -> dict:
    """The filtered lines' totals, in one query over the lines' own query."""
    sql, params = lines.order_by().values("amount", "submitted", "approved").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(amount), 0), COALESCE(SUM(submitted), 0), "
            f"COALESCE(SUM(approved), 0) FROM ({sql}) AS lines",
            params,
        )
        budget, submitted, approved = cursor.fetchone()
    cents = Decimal("0.01")
    return {
        "budget": Decimal(budget).quantize(cents),
        "submitted": Decimal(submitted).quantize(cents),
        "approved": Decimal(approved).quantize(cents),
    }


def budget_departments(user):
    """The departments whose budgets the user sees (and finance may plan)."""
    from crm.models import Department

    scope = user_scope(user)
    if scope.sees_all:
        return Department.objects.all()
    if scope.level == "branch" and scope.branch_id:
        return Department.objects.filter(branch_id=scope.branch_id)
    return Department.objects.filter(pk__in=scope.department_ids)


def access_budget(*, user, pk) -> Budget:
    from django.http import Http404

    budget = budgets_visible_to(user).filter(pk=pk).first()
    if budget is None:
        raise Http404("No such budget line.")
    return budget


def execution_xlsx(lines) -> bytes:
    """The execution rows as an xlsx workbook (formula cells neutralised)."""
    import io

    import xlsxwriter

    from crm.spreadsheets import neutralise

    target = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        target, {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True}
    )
    sheet = workbook.add_worksheet(str(_("Budget execution")))
    bold = workbook.add_format({"bold": True})
    headers = [
        _("Department"),
        _("Category"),
        _("Period"),
        _("Starts on"),
        _("Ends on"),
        _("Deal"),
        _("Budget"),
        _("Submitted"),
        _("Approved"),
        _("Remaining"),
    ]
    sheet.write_row(0, 0, [neutralise(str(h)) for h in headers], bold)
    for row, line in enumerate(lines, start=1):
        values = [
            str(line.department),
            str(line.category),
            str(line.get_period_kind_display()),
            line.starts_on.isoformat(),
            line.ends_on.isoformat(),
            str(line.opportunity) if line.opportunity_id else "",
            float(line.amount),
            float(line.submitted),
            float(line.approved),
            float(line.amount - line.approved),
        ]
        for column, value in enumerate(values):
            if isinstance(value, str):
                sheet.write_string(row, column, neutralise(value))
            else:
                sheet.write_number(row, column, value)
    workbook.close()
    return target.getvalue()


def claims_against(line: Budget) -> QuerySet[ExpenseClaim]:
    """The claims that count against ``line`` (any status)."""
    claims = ExpenseClaim.objects.filter(
        department_id=line.department_id,
        category_id=line.category_id,
        spent_on__gte=line.starts_on,
        spent_on__lte=line.ends_on,
    )
    if line.opportunity_id:
        claims = claims.filter(opportunity_id=line.opportunity_id)
    return claims


def burn_down(line: Budget) -> dict:
    """What is left of the line day by day over its period: the approved
    claims summed per day in SQL (one grouped query), then accumulated over
    the period's days (at most 366 points)."""
    from datetime import timedelta

    per_day = dict(
        claims_against(line)
        .filter(status=ClaimStatus.APPROVED)
        .values("spent_on")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("spent_on", "total")
    )
    days, left, ideal = [], [], []
    remaining = line.amount
    length = (line.ends_on - line.starts_on).days + 1
    for offset in range(length):
        day = line.starts_on + timedelta(days=offset)
        remaining -= per_day.get(day, Decimal("0"))
        days.append(day.isoformat())
        left.append(float(remaining))
        ideal.append(float(line.amount * (length - offset - 1) / length))
    return {"days": days, "left": left, "ideal": ideal}


def burn_down_chart(line: Budget):
    import plotly.graph_objects as go
    from django.utils.translation import gettext

    from crm.charts import chart_html

    data = burn_down(line)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(name=gettext("Remaining"), x=data["days"], y=data["left"], mode="lines")
    )
    figure.add_trace(
        go.Scatter(
            name=gettext("Even spending"),
            x=data["days"],
            y=data["ideal"],
            mode="lines",
            line={"dash": "dot"},
        )
    )
    figure.update_layout(yaxis={"rangemode": "tozero"})
    return chart_html(figure, height=320, testid="burn-down")
