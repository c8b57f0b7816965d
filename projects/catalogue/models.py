"""Sales processes and their stages, loss reasons and the product catalogue
(OPP-4, QUO-1): what admins configure and deals, quotes and orders refer to."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


def localised(chinese: str, english: str) -> str:
    """Admin-entered names come in both languages; show the one the user reads."""
    if english and not (get_language() or "").lower().startswith("zh"):
        return english
    return chinese or english


class BilingualName(models.Model):
    """A configurable record named in Chinese and in English."""

    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return localised(self.name, self.name_en)


class Process(BilingualName):
    """A sales process (销售流程): complex project sales or standard products."""

    class Kind(models.TextChoices):
        COMPLEX = "complex", _("Complex project sale")
        STANDARD = "standard", _("Standard product sale")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("sales process")
        verbose_name_plural = _("sales processes")
        ordering = ["order", "id"]


class Stage(BilingualName):
    """A stage (阶段) of a process. The closing states won, lost and abandoned
    are stages too (``kind``), so closing and reopening are stage moves."""

    class Kind(models.TextChoices):
        OPEN = "open", pgettext_lazy("stage kind", "Open")
        WON = "won", pgettext_lazy("stage kind", "Won")
        LOST = "lost", pgettext_lazy("stage kind", "Lost")
        ABANDONED = "abandoned", pgettext_lazy("stage kind", "Abandoned")

    process = models.ForeignKey(
        Process, on_delete=models.PROTECT, related_name="stages", verbose_name=_("process")
    )
    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OPEN)
    order = models.PositiveSmallIntegerField(_("order"))
    probability = models.PositiveSmallIntegerField(
        _("default win probability (%)"), validators=PERCENT
    )
    rot_days = models.PositiveSmallIntegerField(
        _("rot days"),
        null=True,
        blank=True,
        help_text=_("A deal that stays longer than this in the stage is shown as rotting."),
    )
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["process", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["process", "code"], name="stage_process_code"),
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="stage_probability_0_100"
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.kind == self.Kind.OPEN


class LossReason(BilingualName):
    """Why deals are lost (丢单原因), an admin list (OPP-9)."""

    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)

    class Meta:
        verbose_name = _("loss reason")
        verbose_name_plural = _("loss reasons")
        ordering = ["order", "name"]


class Product(models.Model):
    """A catalogue product (QUO-1). Products are never deleted once quoted or
    ordered (the lines protect them); they are archived (``is_active`` off)
    and then offered nowhere. Every change is kept in the history."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    list_price = models.DecimalField(
        _("list price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    cost = models.DecimalField(
        _("cost"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("13"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_active = models.BooleanField(pgettext_lazy("product", "on sale"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        indexes = [
            # The catalogue page lists active products by code, within a category.
            models.Index(fields=["is_active", "category", "code"], name="product_active_category"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(list_price__gte=0, cost__gte=0)
                & models.Q(tax_rate__gte=0, tax_rate__lte=100),
                name="product_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("quotes:product:detail", kwargs={"pk": self.pk})
