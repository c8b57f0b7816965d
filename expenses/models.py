"""Expense claims (EXP-2) approved on the approvals engine.

Money is ``Decimal`` rounded half-up to cents. A claim is always owned by the
employee who claims it (owner, department and branch give its scope); it may
name a deal, customer or contact the employee sees.
"""

from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    BigIntegerRangeField,
    DateRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords
from viewflow.workflow.models import Process as WorkflowProcess

from crm.models import Department, ScopedModel, TimeStampedModel
from customers.models import Contact, Customer
from projects.models import Opportunity

CENT = Decimal("0.01")


class Int8Range(models.Func):
    function = "int8range"
    output_field = BigIntegerRangeField()


def point(value) -> Int8Range:
    """``[value, value]``: two of them overlap exactly when the values are equal."""
    expression = models.F(value) if isinstance(value, str) else value
    return Int8Range(expression, expression, models.Value("[]"))


class ExpenseCategory(models.Model):
    """What an expense is for (travel, entertainment …), kept by admins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expense category")
        verbose_name_plural = _("expense categories")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ExpenseClaim(ScopedModel):
    """An expense claim (费用报销): amount, category, date, the employee
    (owner) and optionally the deal, customer or contact it was spent on.
    A returned claim is a draft again; a rejected one is final."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    category = models.ForeignKey(
        ExpenseCategory,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("category"),
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(CENT)]
    )
    spent_on = models.DateField(_("date"))
    description = models.TextField(_("description"), blank=True)
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opportunity"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT
    )
    approval_chain = models.JSONField(_("approval chain"), default=list, blank=True)
    over_budget = models.BooleanField(_("over budget"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("expense claim")
        verbose_name_plural = _("expense claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="expenseclaim_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="expense_owner_status"),
            models.Index(fields=["department", "status"], name="expense_department_status"),
            models.Index(fields=["branch", "status"], name="expense_branch_status"),
            models.Index(fields=["category", "spent_on"], name="expense_category_date"),
            models.Index(fields=["-spent_on", "-id"], name="expense_spent_on"),
            models.Index(fields=["opportunity", "status"], name="expense_deal_status"),
            models.Index(fields=["customer", "status"], name="expense_customer_status"),
            models.Index(fields=["contact"], name="expense_contact"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("expenses:claim:detail", kwargs={"pk": self.pk})


class ExpenseApprovalProcess(WorkflowProcess):
    """A run of ``expenses.flows.ExpenseApprovalFlow`` for one submission of a
    claim: one step per level of the chain its approval rules require."""

    class Meta:
        proxy = True
        verbose_name = _("expense approval")
        verbose_name_plural = _("expense approvals")
        permissions = [("approve_expenseclaim", _("Can decide any expense approval step"))]

    @property
    def claim(self) -> ExpenseClaim:
        cached = self.__dict__.get("_claim")
        if cached is None or cached.pk != self.artifact_object_id:
            cached = ExpenseClaim.objects.select_related("owner", "category").get(
                pk=self.artifact_object_id
            )
            self.__dict__["_claim"] = cached
        return cached


class ExpenseClaimUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE)


class ExpenseClaimGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE)


# --- Budgets (EXP-1) ----------------------------------------------------------------------


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class DateRange(models.Func):
    """``daterange(starts_on, ends_on, '[]')``: a budget line's period."""

    function = "daterange"
    output_field = DateRangeField()


class Budget(TimeStampedModel):
    """A budget line (预算): what a department may spend on a category in a
    month, quarter or year, optionally for one deal. Lines of the same
    department and category may not overlap in time for the same deal (or
    for no deal): an overlap would count the same money twice."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    category = models.ForeignKey(
        ExpenseCategory,
        on_delete=models.PROTECT,
        related_name="budgets",
        verbose_name=_("category"),
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opportunity"),
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(CENT)]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["-starts_on", "department_id", "category_id", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="budget_period_order"
            ),
            # Equal keys as overlapping one-point ranges: GiST indexes ranges
            # without the btree_gist extension, which the embedded server lacks.
            ExclusionConstraint(
                name="budget_no_double_count",
                expressions=[
                    (point("department"), RangeOperators.OVERLAPS),
                    (point("category"), RangeOperators.OVERLAPS),
                    (point(Coalesce("opportunity", models.Value(0))), RangeOperators.OVERLAPS),
                    (DateRange("starts_on", "ends_on", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_(
                    "A budget line for this department and category already covers part of "
                    "this period (for the same deal, or for no deal): it would be counted twice."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["department", "category", "starts_on"], name="budget_dept_cat"),
            models.Index(fields=["starts_on", "ends_on"], name="budget_period"),
            models.Index(fields=["opportunity"], name="budget_deal"),
        ]

    def __str__(self) -> str:
        period = f"{self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"
        return f"{self.department} · {self.category} · {period}"


class OverBudget(models.TextChoices):
    FLAG = "flag", _("Flag the claim and let it go on")
    BLOCK = "block", _("Refuse the submission")


class ExpenseSettings(models.Model):
    """The admin's rules for expenses (one row, edited in Django admin)."""

    over_budget = models.CharField(
        _("over-budget claims"), max_length=10, choices=OverBudget.choices, default=OverBudget.FLAG
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expense settings")
        verbose_name_plural = _("expense settings")

    def __str__(self) -> str:
        return str(_("Expense settings"))

    @classmethod
    def current(cls) -> "ExpenseSettings":
        return cls.objects.order_by("pk").first() or cls()
