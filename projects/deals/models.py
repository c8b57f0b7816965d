"""Opportunities and their sales processes (OPP-1..10).

A deal moves through the ordered stages of its process. Every move is a
``StageEvent`` written by ``projects.deals.services.opportunity_move`` in the same
transaction as the move itself; an event also records when the deal left the
stage again (``left_at``) and where it went (``next_stage``), so the funnel of
any past period is a handful of range aggregates over events (ANA-1) instead
of a replay of each deal's history.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from crm.models import ScopedModel, TimeStampedModel
from crm.scope import ScopedQuerySet, user_scope
from customers.models import Contact, Customer, FollowUp
from projects.catalogue.models import (
    PERCENT,
    LossReason,
    Process,
    Product,
    Stage,
    localised,
)


class OpportunitySource(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    WEBSITE = "website", _("Website")
    EXHIBITION = "exhibition", _("Exhibition")
    COLD_CALL = "cold_call", _("Cold call")
    EXISTING = "existing", _("Existing customer")
    PARTNER = "partner", _("Partner")
    TENDER = "tender", _("Tender notice")
    OTHER = "other", _("Other")


class OpportunityQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status=Stage.Kind.OPEN)

    def pooled(self):
        """Unassigned deals waiting in the pool (机会池)."""
        return self.filter(owner__isnull=True, status=Stage.Kind.OPEN)

    def pool_for(self, user):
        """The pool a user may claim from or assign: pooled deals of their
        branch, or all pooled deals for those who see everything."""
        scope = user_scope(user)
        pooled = self.pooled()
        if scope.sees_all:
            return pooled
        if scope.branch_id is None:
            return pooled.none()
        return pooled.filter(branch_id=scope.branch_id)


class Opportunity(ScopedModel):
    """A sales opportunity (销售机会, OPP-1). A deal without an owner sits in
    the pool of its department and branch (OPP-2)."""

    scope_memberships = (("projects.OpportunityMember", "opportunity_id", "user_id"),)

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("customer")
    )
    title = models.CharField(pgettext_lazy("record name", "title"), max_length=200)
    source = models.CharField(
        _("source"), max_length=20, choices=OpportunitySource.choices, blank=True
    )
    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="+", verbose_name=_("process")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="+", verbose_name=_("stage")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Stage.Kind.choices, default=Stage.Kind.OPEN
    )
    stage_entered_at = models.DateTimeField(_("in stage since"))
    expected_amount = models.DecimalField(
        _("expected amount"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    probability = models.PositiveSmallIntegerField(_("win probability (%)"), validators=PERCENT)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    contacts = models.ManyToManyField(
        Contact, blank=True, related_name="opportunities", verbose_name=_("key contacts")
    )
    follow_ups = models.ManyToManyField(
        FollowUp, blank=True, related_name="opportunities", verbose_name=_("work records")
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    loss_reason = models.ForeignKey(
        LossReason,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("loss reason"),
    )
    close_note = models.CharField(_("closing note"), max_length=300, blank=True)
    score = models.PositiveSmallIntegerField(_("qualification score"), null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=1, blank=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        permissions = [("assign_opportunity", _("Can assign opportunities from the pool"))]
        indexes = [
            models.Index(fields=["owner", "status", "expected_close_date"], name="opp_owner_open"),
            models.Index(
                fields=["department", "status", "expected_close_date"], name="opp_department_open"
            ),
            models.Index(
                fields=["branch", "status", "expected_close_date"], name="opp_branch_open"
            ),
            # The list's sorts, led by each scope column (owner, department, branch).
            *(
                models.Index(fields=[scope, *sort], name=f"opp_{scope[:4]}_{name}")
                for scope in ("owner", "department", "branch")
                for name, sort in (
                    ("close", ["expected_close_date", "id"]),
                    ("amount", ["-expected_amount", "id"]),
                    ("newest", ["-id"]),
                )
            ),
            models.Index(fields=["stage", "-expected_amount", "id"], name="opp_stage_board"),
            models.Index(fields=["customer", "status"], name="opp_customer"),
            models.Index(
                fields=["branch", "-created_at"],
                name="opp_pool",
                condition=models.Q(owner__isnull=True, status="open"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="opp_probability_0_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:opportunity:detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == Stage.Kind.OPEN

    @property
    def weighted_amount(self) -> Decimal:
        return (self.expected_amount * self.probability / 100).quantize(Decimal("0.01"))


class OpportunityUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Opportunity, on_delete=models.CASCADE)


class OpportunityGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Opportunity, on_delete=models.CASCADE)


class StageEvent(models.Model):
    """One move of a deal (OPP-4): from a stage (none when the deal opened)
    into another. ``left_at``/``next_stage`` are filled by the next move, so
    each event is also the interval the deal spent in ``to_stage``."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_events"
    )
    process = models.ForeignKey(Process, on_delete=models.PROTECT, related_name="+")
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    next_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("stage event")
        verbose_name_plural = _("stage events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "at"], name="stageevent_opportunity_at"),
            models.Index(fields=["to_stage", "at"], name="stageevent_stage_at"),
            models.Index(fields=["to_stage", "left_at"], name="stageevent_stage_left"),
            models.Index(fields=["at"], name="stageevent_at"),
            models.Index(fields=["left_at"], name="stageevent_left_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_at__isnull=True) | models.Q(left_at__gte=models.F("at")),
                name="stageevent_left_after_entered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id}: {self.from_stage_id} → {self.to_stage_id}"


class OpportunityMember(models.Model):
    """A colleague on the deal team (相关员工, OPP-6). Members see the deal
    whatever their data scope."""

    class Role(models.TextChoices):
        SALES = "sales", _("Co-seller")
        PRESALES = "presales", _("Pre-sales engineer")
        TECHNICAL = "technical", _("Technical support")
        DELIVERY = "delivery", _("Delivery")
        SERVICE = "service", pgettext_lazy("team role", "Service")
        MANAGEMENT = "management", _("Management sponsor")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="opportunity_memberships",
        verbose_name=_("employee"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "user"], name="opp_member_unique"),
        ]
        indexes = [models.Index(fields=["user", "opportunity"], name="opp_member_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class OpportunityPartner(models.Model):
    """A partner company on the deal (合作伙伴, OPP-6)."""

    class Role(models.TextChoices):
        RESELLER = "reseller", _("Reseller")
        INTEGRATOR = "integrator", _("System integrator")
        SUPPLIER = "supplier", _("Supplier")
        CONSULTANT = "consultant", _("Consultant")
        INFLUENCER = "influencer", pgettext_lazy("partner role", "Influencer")

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="partners")
    partner = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("partner")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "partner"], name="opp_partner_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} ({self.get_role_display()})"


class OpportunityProduct(models.Model):
    """A product the deal is about (OPP-1 related products)."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="product_lines"
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        related_name="opportunity_lines",
        verbose_name=_("product"),
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("related product")
        verbose_name_plural = _("related products")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "product"], name="opp_product_unique"),
        ]
        indexes = [models.Index(fields=["product", "opportunity"], name="opp_product_product")]

    def __str__(self) -> str:
        return str(self.product)

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class StagePlan(models.Model):
    """A planned step of the deal (阶段计划, OPP-5): a stage or a milestone
    with planned and actual dates."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="plan_items"
    )
    stage = models.ForeignKey(
        Stage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stage"),
    )
    name = models.CharField(_("step"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage plan item")
        verbose_name_plural = _("stage plan")
        ordering = ["opportunity", "order", "planned_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("planned_start")),
                name="stageplan_planned_order",
            ),
            models.CheckConstraint(
                condition=models.Q(actual_end__isnull=True)
                | models.Q(actual_start__isnull=False, actual_end__gte=models.F("actual_start")),
                name="stageplan_actual_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Todo(TimeStampedModel):
    """A to-do (待办事宜, OPP-7) on a deal, with a due date and an assignee."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="todos")
    title = models.CharField(_("to-do"), max_length=200)
    due_date = models.DateField(_("due date"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assignee"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("to-do")
        verbose_name_plural = _("to-dos")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(
                fields=["assignee", "due_date"],
                name="todo_assignee_open",
                condition=models.Q(done_at__isnull=True),
            ),
            models.Index(fields=["opportunity", "due_date"], name="todo_opportunity"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class Comment(models.Model):
    """A message in the deal's discussion thread (OPP-7)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), max_length=4000)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("discussion", "comment")
        verbose_name_plural = pgettext_lazy("discussion", "comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["opportunity", "created_at"], name="comment_opportunity")]

    def __str__(self) -> str:
        return self.body[:50]


# --- Qualification questionnaire (OPP-3) -------------------------------------


class Question(models.Model):
    """A question of a process's qualification questionnaire (机会评估问卷)."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="questions", verbose_name=_("process")
    )
    text = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)

    class Meta:
        verbose_name = _("qualification question")
        verbose_name_plural = _("qualification questions")
        ordering = ["process", "order", "id"]

    def __str__(self) -> str:
        return localised(self.text, self.text_en)


class QuestionOption(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(_("answer (Chinese)"), max_length=200)
    text_en = models.CharField(_("answer (English)"), max_length=200, blank=True)
    points = models.SmallIntegerField(_("points"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["question", "order", "id"]

    def __str__(self) -> str:
        return localised(self.text, self.text_en)


class GradeThreshold(models.Model):
    """A score of at least ``min_score`` earns ``grade`` (A best … D)."""

    class Grade(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="grade_thresholds")
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    min_score = models.SmallIntegerField(_("minimum score"))

    class Meta:
        verbose_name = _("grade threshold")
        verbose_name_plural = _("grade thresholds")
        ordering = ["process", "-min_score"]
        constraints = [
            models.UniqueConstraint(fields=["process", "grade"], name="grade_threshold_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.grade} ≥ {self.min_score}"


class Evaluation(models.Model):
    """One answered questionnaire; re-evaluating adds a new one and keeps
    the earlier ones."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="evaluations"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("evaluated at"), auto_now_add=True)
    score = models.SmallIntegerField(_("score"))
    grade = models.CharField(_("grade"), max_length=1, blank=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["opportunity", "-at"], name="evaluation_opportunity")]

    def __str__(self) -> str:
        return f"{self.score} {self.grade}"


class EvaluationAnswer(models.Model):
    """An answer as it was given: the question and option texts and points
    are copied, so editing the questionnaire never rewrites past scores."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.SET_NULL, null=True, related_name="+")
    option = models.ForeignKey(
        QuestionOption, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    question_text = models.CharField(max_length=300)
    option_text = models.CharField(max_length=200)
    points = models.SmallIntegerField()

    class Meta:
        ordering = ["evaluation", "id"]

    def __str__(self) -> str:
        return f"{self.question_text}: {self.option_text}"


# --- Quotes and approval rules (QUO-2, QUO-3) ----------------------------------
