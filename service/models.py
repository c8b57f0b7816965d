"""Service requests with SLA (SVC-1), complaints and praise attributed to
employees (SVC-3), and proactive care plans (SVC-2).

A service request is a scoped record: its owner is the assignee (the creator
while nobody has it), its department follows the owner and its branch is
the branch whose queue it is in. Sales people see the requests of the
customers in their own scope as well (``service.selectors.requests_visible_to``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from crm.models import Branch, ScopedModel
from crm.scope import ScopedQuerySet
from customers.models import Contact, Customer, CustomerType, ValueGrade
from projects.models import Product


class RequestType(models.TextChoices):
    REPAIR = "repair", _("Repair")
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    PRAISE = "praise", _("Praise")
    OTHER = "other", pgettext_lazy("service request type", "Other")


class Priority(models.TextChoices):
    LOW = "low", pgettext_lazy("priority", "Low")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    HIGH = "high", pgettext_lazy("priority", "High")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


class Channel(models.TextChoices):
    PHONE = "phone", pgettext_lazy("channel", "Phone")
    EMAIL = "email", pgettext_lazy("channel", "E-mail")
    WECHAT = "wechat", pgettext_lazy("channel", "WeChat")
    VISIT = "visit", pgettext_lazy("channel", "On-site visit")
    WEB = "web", pgettext_lazy("channel", "Website")
    OTHER = "other", pgettext_lazy("channel", "Other")


class RequestStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("service request status", "New")
    ASSIGNED = "assigned", pgettext_lazy("service request status", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("service request status", "In progress")
    RESOLVED = "resolved", pgettext_lazy("service request status", "Resolved")
    CLOSED = "closed", pgettext_lazy("service request status", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("service request status", "Cancelled")


#: Statuses in which the SLA clock runs.
OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS)
#: Statuses before the first response (being worked on counts as the response).
UNANSWERED_STATUSES = (RequestStatus.NEW, RequestStatus.ASSIGNED)


class SlaRule(models.Model):
    """How fast a request must be answered and resolved (admin-edited).

    Empty conditions match everything; of the active rules that match a new
    request the most specific wins (most conditions set), then the lowest
    position. The due times are computed once, when the request is created.
    """

    name = models.CharField(_("name"), max_length=100)
    request_type = models.CharField(
        _("request type"), max_length=20, choices=RequestType.choices, blank=True
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, blank=True)
    value_grade = models.CharField(
        _("customer value grade"), max_length=1, choices=ValueGrade.choices, blank=True
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    response_hours = models.PositiveIntegerField(
        _("respond within (hours)"), validators=[MinValueValidator(1)]
    )
    resolve_hours = models.PositiveIntegerField(
        _("resolve within (hours)"), validators=[MinValueValidator(1)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)

    class Meta:
        verbose_name = _("SLA rule")
        verbose_name_plural = _("SLA rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolve_hours__gte=models.F("response_hours")),
                name="slarule_resolve_after_response",
                violation_error_message=_("Resolving cannot be due before responding."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ServiceRequestQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def queue(self, *, branch_id):
        """The unassigned requests waiting in a branch's queue."""
        return self.filter(branch_id=branch_id, status=RequestStatus.NEW)

    def assigned_to(self, user):
        return self.filter(owner=user, assigned_at__isnull=False)

    def breached(self, *, now=None):
        """Open requests past their response or resolve due time."""
        now = now or timezone.now()
        return self.filter(
            models.Q(status__in=UNANSWERED_STATUSES, response_due_at__lt=now)
            | models.Q(status__in=OPEN_STATUSES, resolve_due_at__lt=now)
        )


class ServiceRequest(ScopedModel):
    """A service request (服务请求, SVC-1).

    The owner is the creator while the request waits in its branch's queue
    (``status`` new, ``assigned_at`` empty) and the assignee from the claim
    or assignment on; ``branch`` is the queue's branch.
    """

    number = models.CharField(_("number"), max_length=30, unique=True)
    request_type = models.CharField(_("type"), max_length=20, choices=RequestType.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="service_requests",
        verbose_name=_("customer"),
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("contact"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("product"),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    employees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="FeedbackAttribution",
        related_name="+",
        blank=True,
        verbose_name=_("employees concerned"),
    )
    sla_rule = models.ForeignKey(
        SlaRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SLA rule"),
    )
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    response_escalated_at = models.DateTimeField(
        _("response breach escalated at"), null=True, blank=True
    )
    resolve_escalated_at = models.DateTimeField(
        _("resolution breach escalated at"), null=True, blank=True
    )
    resolution = models.TextField(_("resolution"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("customer satisfaction"),
        null=True,
        blank=True,
        choices=[(n, str(n)) for n in range(1, 6)],
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (very unhappy) to 5 (very happy)"),
    )

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-created_at", "-id"]
        permissions = [("assign_servicerequest", _("Can assign service requests"))]
        indexes = [
            # The branch queue: unassigned new requests, soonest due first.
            models.Index(
                fields=["branch", "response_due_at", "id"],
                name="servicerequest_queue",
                condition=models.Q(status="new"),
            ),
            # My requests (the owner is the assignee) and the lists by status,
            # sorted by due time.
            models.Index(
                fields=["branch", "status", "resolve_due_at"], name="servicerequest_branch"
            ),
            models.Index(
                fields=["department", "status", "resolve_due_at"],
                name="servicerequest_department",
            ),
            models.Index(fields=["owner", "status", "resolve_due_at"], name="servicerequest_owner"),
            models.Index(fields=["branch", "-created_at", "-id"], name="servicerequest_created"),
            models.Index(fields=["customer", "-created_at"], name="servicerequest_customer"),
            # The escalation task: open requests by due time.
            models.Index(
                fields=["response_due_at"],
                name="servicerequest_response_due",
                condition=models.Q(
                    status__in=["new", "assigned"], response_escalated_at__isnull=True
                ),
            ),
            models.Index(
                fields=["resolve_due_at"],
                name="servicerequest_resolve_due",
                condition=models.Q(
                    status__in=["new", "assigned", "in_progress"],
                    resolve_escalated_at__isnull=True,
                ),
            ),
            models.Index(
                fields=["request_type", "created_at"],
                name="servicerequest_feedback",
                condition=models.Q(request_type__in=["complaint", "praise"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="servicerequest_satisfaction_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(assigned_at__isnull=False, owner__isnull=False)
                | models.Q(status__in=["new", "cancelled"]),
                name="servicerequest_worked_is_assigned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("service:request:detail", kwargs={"pk": self.pk})

    @classmethod
    def handover_queryset(cls, queryset):
        """A handover moves the requests still being worked on; closed and
        cancelled ones keep who handled them (the agent's record)."""
        return queryset.exclude(status__in=[RequestStatus.CLOSED, RequestStatus.CANCELLED])

    @property
    def assignee(self):
        """Who works on it: the owner once it was claimed or assigned (so a
        handover moves the work too); nobody while it waits in the queue."""
        return self.owner if self.assigned_at is not None else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def response_breached(self, now=None) -> bool:
        if self.response_due_at is None:
            return False
        answered = self.responded_at
        if answered is None:
            return self.status in UNANSWERED_STATUSES and (now or timezone.now()) > (
                self.response_due_at
            )
        return answered > self.response_due_at

    def resolve_breached(self, now=None) -> bool:
        if self.resolve_due_at is None:
            return False
        if self.resolved_at is not None:
            return self.resolved_at > self.resolve_due_at
        return self.status in OPEN_STATUSES and (now or timezone.now()) > self.resolve_due_at

    @property
    def sla_state(self) -> str:
        """``breached``, ``soon`` (due within the warning time) or ``ok`` --
        how lists and the page highlight it; computed from the row alone."""
        now = timezone.now()
        if self.response_breached(now) or self.resolve_breached(now):
            return "breached"
        if self.is_open:
            due = self.response_due_at if self.status in UNANSWERED_STATUSES else None
            due = min(filter(None, [due, self.resolve_due_at]), default=None)
            if due is not None and due - now <= SLA_WARNING:
                return "soon"
        return "ok"


#: "Breaching soon" means due within this time.
SLA_WARNING = timedelta(hours=4)


class ServiceRequestUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE)


class ServiceRequestGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE)


class ServiceEvent(models.Model):
    """One step of a request's history, written by the transition service."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("service event", "Created")
        CLAIMED = "claimed", pgettext_lazy("service event", "Claimed")
        ASSIGNED = "assigned", pgettext_lazy("service event", "Assigned")
        STARTED = "started", pgettext_lazy("service event", "Work started")
        RESOLVED = "resolved", pgettext_lazy("service event", "Resolved")
        CLOSED = "closed", pgettext_lazy("service event", "Closed")
        REOPENED = "reopened", pgettext_lazy("service event", "Reopened")
        CANCELLED = "cancelled", pgettext_lazy("service event", "Cancelled")
        ESCALATED = "escalated", pgettext_lazy("service event", "SLA breach escalated")

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("request")
    )
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(
        _("from status"), max_length=20, choices=RequestStatus.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=20, choices=RequestStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("service event")
        verbose_name_plural = _("service events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["request", "-at", "-id"], name="serviceevent_request_at")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.kind}"


class FeedbackAttribution(models.Model):
    """An employee a complaint or a praise is about (SVC-3)."""

    request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.CASCADE,
        related_name="attributions",
        verbose_name=_("request"),
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("employee"),
    )

    class Meta:
        verbose_name = _("employee concerned")
        verbose_name_plural = _("employees concerned")
        constraints = [
            models.UniqueConstraint(fields=["request", "employee"], name="feedback_once")
        ]
        indexes = [models.Index(fields=["employee", "request"], name="feedback_employee")]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.employee_id}"


# --- Care plans (SVC-2) -------------------------------------------------------------


class CareRule(models.Model):
    """A care plan rule (客户关怀): which occasions give a customer's owner a
    care to-do, edited in Django admin. Conditions left empty match every
    customer."""

    class Kind(models.TextChoices):
        AFTER_DELIVERY = "after_delivery", _("Days after a delivery")
        PERIODIC = "periodic", _("Every N months")
        BIRTHDAY = "birthday", _("Contacts' birthdays")
        HOLIDAY = "holiday", _("Holidays")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    task_title = models.CharField(
        _("to-do title"), max_length=200, help_text=_("What the owner is asked to do.")
    )
    days_after = models.PositiveSmallIntegerField(_("days after delivery"), null=True, blank=True)
    every_months = models.PositiveSmallIntegerField(
        _("every N months"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    holidays = ArrayField(
        models.DateField(),
        verbose_name=_("holiday dates"),
        default=list,
        blank=True,
        help_text=_("Comma-separated dates, e.g. 2026-09-25,2027-02-06."),
    )
    lead_days = models.PositiveSmallIntegerField(
        _("days ahead"),
        default=7,
        validators=[MaxValueValidator(60)],
        help_text=_("The to-do is created this many days before its due date."),
    )
    customer_type = models.CharField(
        _("customer type"), max_length=20, choices=CustomerType.choices, blank=True
    )
    value_grade = models.CharField(
        _("value grade"), max_length=1, choices=ValueGrade.choices, blank=True
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care rule")
        verbose_name_plural = _("care rules")
        ordering = ["kind", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="after_delivery") | models.Q(days_after__isnull=False),
                name="carerule_after_delivery_days",
                violation_error_message=_("Say how many days after the delivery."),
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="periodic") | models.Q(every_months__gte=1),
                name="carerule_periodic_months",
                violation_error_message=_("Say every how many months."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CareTaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("care task status", "Open")
    DONE = "done", pgettext_lazy("care task status", "Done")
    SKIPPED = "skipped", pgettext_lazy("care task status", "Skipped")


class CareTask(ScopedModel):
    """A care to-do for a customer's owner, made by a care rule for one
    occasion (a delivered order, a period, a birthday, a holiday) -- once:
    ``(rule, customer, occasion)`` is unique."""

    rule = models.ForeignKey(
        CareRule, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("care rule")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="care_tasks", verbose_name=_("customer")
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="care_tasks",
        verbose_name=_("contact"),
    )
    occasion = models.CharField(_("occasion"), max_length=60)
    title = models.CharField(pgettext_lazy("record name", "title"), max_length=200)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=CareTaskStatus.choices, default=CareTaskStatus.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done or skipped by"),
    )
    finished_at = models.DateTimeField(_("done or skipped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "customer", "occasion"], name="caretask_once_per_occasion"
            )
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="caretask_owner"),
            models.Index(fields=["department", "status", "due_date"], name="caretask_department"),
            models.Index(fields=["branch", "status", "due_date"], name="caretask_branch"),
            models.Index(fields=["customer", "-due_date"], name="caretask_customer"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("service:care:detail", kwargs={"pk": self.pk})

    @classmethod
    def handover_queryset(cls, queryset):
        """A handover moves the open care to-dos; done and skipped ones keep
        who did them."""
        return queryset.filter(status=CareTaskStatus.OPEN)


class CareTaskUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CareTask, on_delete=models.CASCADE)


class CareTaskGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(CareTask, on_delete=models.CASCADE)
