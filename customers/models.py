"""Customers, contacts, decision roles, follow-ups and lifecycle (CUS-1..6)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import storages
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from crm.models import ScopedModel
from crm.scope import ScopedQuerySet
from customers.validators import validate_credit_code


def private_storage():
    """Where private uploads (import files) are kept: ``STORAGES["private"]``."""
    return storages["private"]


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    IT = "it", _("Information technology")
    FINANCE = "finance", pgettext_lazy("industry", "Finance")
    ENERGY = "energy", _("Energy")
    HEALTHCARE = "healthcare", _("Healthcare")
    EDUCATION = "education", _("Education")
    RETAIL = "retail", _("Retail")
    LOGISTICS = "logistics", _("Logistics")
    CONSTRUCTION = "construction", _("Construction")
    GOVERNMENT = "government", _("Government")


class CustomerType(models.TextChoices):
    END_CUSTOMER = "end_customer", _("End customer")
    DISTRIBUTOR = "distributor", _("Distributor")
    PARTNER = "partner", _("Partner")


class CompanySize(models.TextChoices):
    MICRO = "micro", _("Under 20 employees")
    SMALL = "small", _("20–99 employees")
    MEDIUM = "medium", _("100–999 employees")
    LARGE = "large", _("1,000–9,999 employees")
    HUGE = "huge", _("10,000 employees or more")


class CustomerSource(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    CAMPAIGN = "campaign", _("Campaign")
    EXHIBITION = "exhibition", _("Exhibition")
    WEBSITE = "website", _("Website")
    COLD_CALL = "cold_call", _("Cold call")
    PARTNER = "partner", _("Partner")
    OTHER = "other", pgettext_lazy("source", "Other")


class ValueGrade(models.TextChoices):
    A = "A", _("A — key account")
    B = "B", _("B — important")
    C = "C", _("C — regular")
    D = "D", _("D — low value")


class CreditStatus(models.TextChoices):
    GOOD = "good", _("Good")
    NORMAL = "normal", _("Normal")
    WATCH = "watch", _("On watch")
    BLOCKED = "blocked", _("Blocked")


class LifecycleStage(models.TextChoices):
    """CUS-3, in order; stalled and lost are explicit states off the path."""

    TARGET = "target", _("Target")
    POTENTIAL = "potential", _("Potential")
    OPPORTUNITY = "opportunity", _("Opportunity")
    SOLUTION = "solution", _("Solution")
    NEGOTIATION = "negotiation", _("Negotiation")
    CUSTOMER = "customer", pgettext_lazy("lifecycle", "Customer")
    DELIVERY = "delivery", _("Delivery")
    ACCEPTANCE = "acceptance", _("Acceptance")
    SERVICE = "service", pgettext_lazy("lifecycle", "Service")
    REPEAT = "repeat", _("Repeat purchase")
    STALLED = "stalled", pgettext_lazy("lifecycle", "Stalled")
    LOST = "lost", pgettext_lazy("lifecycle", "Lost")


class CustomerQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(is_archived=False)


#: Columns the customer list filters on (see customers.listing).
LIST_FILTERS = ["industry", "region", "type", "lifecycle_stage", "value_grade", "is_archived"]


class Customer(ScopedModel):
    """A company (or person) we sell to. It belongs to the company, not the rep."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
    )
    type = models.CharField(
        _("customer type"),
        max_length=20,
        choices=CustomerType.choices,
        default=CustomerType.END_CUSTOMER,
    )
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    region = models.CharField(_("region"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=CustomerSource.choices, blank=True
    )
    value_grade = models.CharField(
        _("value grade"), max_length=1, choices=ValueGrade.choices, blank=True
    )
    credit_status = models.CharField(
        _("credit status"),
        max_length=10,
        choices=CreditStatus.choices,
        default=CreditStatus.NORMAL,
    )
    tags = ArrayField(
        models.CharField(max_length=30), verbose_name=_("tags"), default=list, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=20,
        choices=LifecycleStage.choices,
        default=LifecycleStage.TARGET,
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    # Derived columns, kept by customers.services on every write.
    normalized_name = models.CharField(max_length=200, blank=True, editable=False)
    name_key = models.CharField(max_length=40, blank=True, editable=False)
    normalized_phone = models.CharField(max_length=20, blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="customer_name_id"),
            # A rep's list (own scope) reads its first page straight off this.
            # The scope-led indexes carry the list's filter columns, so a scoped
            # and filtered count is an index-only scan (no table visits).
            models.Index(
                fields=["owner", "name", "id"], name="customer_owner_name_id", include=LIST_FILTERS
            ),
            models.Index(
                fields=["department", "name", "id"],
                name="customer_dept_name_id",
                include=LIST_FILTERS,
            ),
            models.Index(
                fields=["branch", "name", "id"],
                name="customer_branch_name_id",
                include=LIST_FILTERS,
            ),
            models.Index(fields=["industry", "name", "id"], name="customer_industry_name_id"),
            models.Index(fields=["region", "name", "id"], name="customer_region_name_id"),
            models.Index(fields=["type", "name", "id"], name="customer_type_name_id"),
            models.Index(fields=["lifecycle_stage", "name", "id"], name="customer_stage_name_id"),
            models.Index(fields=["value_grade", "name", "id"], name="customer_grade_name_id"),
            models.Index(fields=["updated_at", "id"], name="customer_updated_id"),
            models.Index(fields=["normalized_name"], name="customer_normalized_name"),
            # Fuzzy duplicate candidates: an index-only read per blocking key.
            models.Index(
                fields=["name_key", "normalized_name"],
                name="customer_dup_candidates",
                condition=models.Q(is_archived=False),
            ),
            models.Index(fields=["normalized_phone"], name="customer_normalized_phone"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="customer_credit_code_unique",
                violation_error_message=_("A customer with this credit code already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:customer:detail", kwargs={"pk": self.pk})


class CustomerUserObjectPermission(UserObjectPermissionBase):
    """Per-object shares of customers with users (direct foreign key)."""

    content_object = models.ForeignKey(Customer, on_delete=models.CASCADE)


class CustomerGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Customer, on_delete=models.CASCADE)


class LifecycleEvent(models.Model):
    """One change of a customer's lifecycle stage (CUS-3): the counts per stage,
    now or at any past date, are computed from these events."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="lifecycle_events",
        verbose_name=_("customer"),
    )
    from_stage = models.CharField(
        _("from stage"), max_length=20, choices=LifecycleStage.choices, blank=True
    )
    to_stage = models.CharField(_("to stage"), max_length=20, choices=LifecycleStage.choices)
    at = models.DateTimeField(_("at"), db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    cause = models.CharField(_("cause"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("lifecycle event")
        verbose_name_plural = _("lifecycle events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at", "-id"], name="lifecycle_customer_at")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_stage or '—'} → {self.to_stage}"


class DecisionRole(models.TextChoices):
    USER = "user", _("User")
    INFLUENCER = "influencer", _("Influencer")
    BUYER = "buyer", _("Buyer")
    DECIDER = "decider", _("Decider")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class Attitude(models.TextChoices):
    CHAMPION = "champion", _("Champion")
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    SKEPTIC = "skeptic", _("Skeptic")
    OPPONENT = "opponent", _("Opponent")


class Contact(ScopedModel):
    """A person at a customer (CUS-4) and their part in its decisions (CUS-5).

    Owner, department and branch follow the customer's, so a contact is seen
    by whoever sees its customer through the scope.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    department_name = models.CharField(_("department at customer"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=50, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    interests = models.CharField(_("interests"), max_length=200, blank=True)
    notes = models.TextField(_("personal notes"), blank=True)
    decision_role = models.CharField(
        _("decision role"), max_length=20, choices=DecisionRole.choices, blank=True
    )
    influence = models.PositiveSmallIntegerField(
        _("influence"),
        null=True,
        blank=True,
        choices=[(n, str(n)) for n in range(1, 6)],
        help_text=_("1 (low) to 5 (high)"),
    )
    attitude = models.CharField(
        _("attitude to us"), max_length=20, choices=Attitude.choices, blank=True
    )
    reports_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("reports to"),
    )
    last_met_at = models.DateTimeField(_("last met"), null=True, blank=True)
    is_active = models.BooleanField(_("still at the customer"), default=True)

    normalized_mobile = models.CharField(max_length=20, blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["customer", "name"], name="contact_customer_name"),
            models.Index(fields=["owner", "name", "id"], name="contact_owner_name_id"),
            models.Index(fields=["normalized_mobile"], name="contact_normalized_mobile"),
            models.Index(fields=["email"], name="contact_email"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("customers:contact:detail", kwargs={"pk": self.pk})


class ContactUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Contact, on_delete=models.CASCADE)


class ContactGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Contact, on_delete=models.CASCADE)


class ContactJobChange(models.Model):
    """A contact's move to another title or department (职务调动)."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="job_changes", verbose_name=_("contact")
    )
    old_title = models.CharField(_("old title"), max_length=100, blank=True)
    new_title = models.CharField(_("new title"), max_length=100, blank=True)
    old_department = models.CharField(_("old department"), max_length=100, blank=True)
    new_department = models.CharField(_("new department"), max_length=100, blank=True)
    changed_at = models.DateField(_("changed on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("job change")
        verbose_name_plural = _("job changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.old_title} → {self.new_title}"


class FollowUpKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", pgettext_lazy("follow-up", "Email")
    MEETING = "meeting", _("Meeting")
    DEMO = "demo", _("Demo")
    NEGOTIATION = "negotiation", pgettext_lazy("follow-up", "Negotiation")


class FollowUpQuerySet(ScopedQuerySet):
    def next_steps_due(self, *, on):
        """Open next steps due on or before ``on`` (today's and overdue)."""
        return self.filter(next_step_done=False, next_step_date__lte=on)


class FollowUp(ScopedModel):
    """A call, visit, email, meeting, demo or negotiation (CUS-6). Owned by
    the employee who logged it."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FollowUpKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    contacts = models.ManyToManyField(
        Contact, blank=True, related_name="follow_ups", verbose_name=_("contacts")
    )
    subject = models.CharField(_("subject"), max_length=200)
    outcome = models.TextField(_("outcome"), blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    next_step_done = models.BooleanField(_("next step done"), default=False)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up record")
        verbose_name_plural = _("follow-up records")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="followup_customer_at"),
            models.Index(
                fields=["owner", "next_step_date"],
                name="followup_owner_next_step",
                condition=models.Q(next_step_done=False),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("customers:followup:detail", kwargs={"pk": self.pk})


class FollowUpUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(FollowUp, on_delete=models.CASCADE)


class FollowUpGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(FollowUp, on_delete=models.CASCADE)


class ImportJob(models.Model):
    """One upload of customers or contacts (IMP-1): the file, what the check
    found (per-row errors, duplicates) and, once confirmed, the progress and
    the result of the import. It belongs to whoever uploaded it; the pages
    find it by its ``token`` and show it to its creator only."""

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        CONTACTS = "contacts", _("Contacts")

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        INVALID = "invalid", _("Has errors")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    class OnDuplicate(models.TextChoices):
        SKIP = "skip", _("Skip duplicates")
        UPDATE = "update", _("Update the existing record")
        CREATE = "create", _("Create a new record anyway")

    token = models.UUIDField(_("token"), unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CHECKING
    )
    #: In the private storage (``PRIVATE_MEDIA_ROOT``), never under ``MEDIA_URL``:
    #: the creator downloads it through a view that checks who asks.
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", storage=private_storage)
    file_name = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=30, blank=True)
    on_duplicate = models.CharField(
        _("duplicates"), max_length=10, choices=OnDuplicate.choices, blank=True
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows processed"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    duplicates = models.JSONField(_("duplicates"), default=list, blank=True)
    duplicate_count = models.PositiveIntegerField(_("duplicate rows"), default=0)
    #: What to do with particular duplicate rows ({"<row>": "skip" | "update" |
    #: "create"}), chosen on the preview; the others follow ``on_duplicate``.
    row_choices = models.JSONField(_("choices per row"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    #: When the current check or import began (a job in progress for long has lost its worker).
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="importjob_user_created")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"


class ImportMapping(models.Model):
    """How one user's files write what the import does not know, kept for
    their next file: a list value (``终端客户`` → end customer; an empty
    ``target`` leaves the cell empty) or, with an empty ``field``, a column
    header (``成立日期`` → a known column; an empty ``target`` ignores it)."""

    COLUMN = ""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ImportJob.Kind.choices)
    field = models.CharField(_("column"), max_length=40, blank=True)
    source = models.CharField(_("as written in the file"), max_length=200)
    target = models.CharField(_("means"), max_length=40, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "field", "source"], name="importmapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.field or '#'}: {self.source} → {self.target or '—'}"
