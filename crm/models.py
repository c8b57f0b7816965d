"""The shared kernel: organisation (branches, departments, employees, roles)
and the abstract base every user-visible record inherits from."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.postgres.indexes import OpClass
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Length, Substr
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crm.scope import ScopedQuerySet


class BilingualNameMixin(models.Model):
    """Organisation names are kept in Chinese and English; the UI shows the one
    of the active language, falling back to Chinese."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Branch(BilingualNameMixin):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    is_headquarters = models.BooleanField(_("headquarters"), default=False)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["-is_headquarters", "code"]


class Department(BilingualNameMixin):
    """A node of a branch's department tree.

    ``path`` is the materialised chain of ids from the root (``/3/7/12/``), so
    a subtree is one indexed prefix match instead of a recursive query.
    """

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="departments", verbose_name=_("branch")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent department"),
    )
    path = models.CharField(max_length=255, editable=False, default="")

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["branch__code", "path"]
        indexes = [
            models.Index(
                OpClass("path", name="varchar_pattern_ops"), name="crm_department_path_like"
            )
        ]

    @transaction.atomic
    def save(self, *args, **kwargs) -> None:
        old_path = self.path
        super().save(*args, **kwargs)
        parent_path = self.parent.path if self.parent_id else "/"
        new_path = f"{parent_path}{self.pk}/"
        if new_path == old_path:
            return
        Department.objects.filter(pk=self.pk).update(path=new_path)
        if old_path:
            # Re-root the subtree that hung below the old path.
            Department.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=models.functions.Concat(
                    models.Value(new_path), Substr("path", Length(models.Value(old_path)) + 1)
                )
            )
        self.path = new_path

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.parent.branch_id != self.branch_id:
            raise ValidationError({"parent": _("The parent department belongs to another branch.")})
        if self.pk and f"/{self.pk}/" in self.parent.path:
            raise ValidationError({"parent": _("A department cannot be moved below itself.")})

    def subtree(self) -> models.QuerySet[Department]:
        return Department.objects.filter(path__startswith=self.path)


class Employee(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="employee",
        verbose_name=_("user"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="employees", verbose_name=_("department")
    )
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=100, blank=True)
    manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("manager"),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(pgettext_lazy("employee", "active"), default=True)
    language = models.CharField(
        _("UI language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: follow the browser."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def branch(self) -> Branch:
        return self.department.branch


class DataScope(models.TextChoices):
    """How far a role sees, from narrowest to widest."""

    OWN = "own", pgettext_lazy("data scope", "Own records")
    DEPARTMENT = "department", pgettext_lazy("data scope", "Department and sub-departments")
    BRANCH = "branch", pgettext_lazy("data scope", "Branch")
    ALL = "all", pgettext_lazy("data scope", "All")

    @property
    def rank(self) -> int:
        return list(DataScope).index(self)


class Role(models.Model):
    """A group that carries a data scope. Roles are created by a migration and
    their scope and permissions are edited in Django admin."""

    class Code(models.TextChoices):
        SALES_REP = "sales_rep", _("Sales rep")
        SALES_MANAGER = "sales_manager", _("Sales manager")
        BRANCH_MANAGER = "branch_manager", _("Branch manager")
        BUSINESS_SECRETARY = "business_secretary", _("Business secretary")
        FINANCE = "finance", _("Finance")
        SERVICE_AGENT = "service_agent", _("Service agent")
        HQ_EXECUTIVE = "hq_executive", _("HQ executive")
        ADMIN = "admin", _("Administrator")

    group = models.OneToOneField(
        Group, on_delete=models.CASCADE, related_name="role", verbose_name=_("group")
    )
    code = models.CharField(_("code"), max_length=30, choices=Code.choices, unique=True)
    data_scope = models.CharField(
        _("data scope"), max_length=20, choices=DataScope.choices, default=DataScope.OWN
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]

    def __str__(self) -> str:
        return str(self.get_code_display())


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ScopedModel(TimeStampedModel):
    """Base of every record users see under a data scope.

    ``department`` and ``branch`` are denormalised from the owner when the
    record is created or handed over, so every scope is one indexed filter.
    ``owner`` may be empty for pooled records, which then belong to their
    department. Subclasses declare:

    - ``scope_memberships``: ``(model label, object field, user field)``
      triples of membership tables (deal teams) whose members see the record
      whatever their scope;
    - guardian direct-foreign-key permission models for per-object shares
      (``<Model>UserObjectPermission`` / ``<Model>GroupObjectPermission``).
    """

    scope_memberships: tuple[tuple[str, str, str], ...] = ()

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"employee__is_active": True},
        verbose_name=_("owner"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    history = HistoricalRecords(inherit=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    @admin.display(description=_("owner"), ordering="owner__first_name")
    def owner_name(self) -> str:
        """The owner as people know them (full name, else login name)."""
        if self.owner is None:
            return ""
        return self.owner.get_full_name() or self.owner.get_username()

    def assign_owner(self, owner) -> None:
        """Set the owner and the department and branch that follow from it."""
        self.owner = owner
        department = owner.employee.department
        self.department = department
        self.branch_id = department.branch_id


class Handover(models.Model):
    """One handover (工作交接, ORG-4): everything one employee owned moved to
    another in one step. The moved records keep a history entry each."""

    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("from"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("to"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    summary = models.JSONField(_("records moved"), default=dict)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-at", "-id"]
        permissions = [("perform_handover", _("Can hand over an employee's records"))]

    def __str__(self) -> str:
        return f"{self.from_user} → {self.to_user}"


class Notification(models.Model):
    """An in-app notification (WF-1): a task waiting for the recipient, or
    the outcome of something they started. Text is rendered in the
    recipient's language when it is created."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    title = models.CharField(pgettext_lazy("heading", "title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


# Attachments live in their own module; imported here so Django finds the model.
from crm.attachments.models import Attachment  # noqa: E402, F401
