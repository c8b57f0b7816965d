"""Competitors (CMP-1..3): company-wide profiles, their products, observed
prices over time, competition on our deals and deals they won outside our
pipeline.

Profiles and products are reference data every employee reads (not scoped).
Whatever is tied to one of our deals or customers (a price observed on a
deal, the competition on a deal, a competitive order at a customer) is read
only through that deal's or customer's ``visible_to``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from crm.models import TimeStampedModel


class Competitor(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    website = models.URLField(_("website"), blank=True)
    strengths = models.TextField(_("strengths"), blank=True)
    weaknesses = models.TextField(_("weaknesses"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ["name"]
        indexes = [models.Index(fields=["is_active", "name"], name="competitor_active_name")]

    def __str__(self) -> str:
        return self.name


class CompetitorProduct(TimeStampedModel):
    competitor = models.ForeignKey(
        Competitor, on_delete=models.CASCADE, related_name="products", verbose_name=_("competitor")
    )
    name = models.CharField(_("name"), max_length=120)
    #: Our product it competes with, for the analysis by product.
    our_product = models.ForeignKey(
        "projects.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("competes with"),
    )
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("competing product")
        verbose_name_plural = _("competing products")
        ordering = ["competitor__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["competitor", "name"], name="competitor_product_unique")
        ]
        indexes = [models.Index(fields=["our_product"], name="competitor_product_ours")]

    def __str__(self) -> str:
        return f"{self.competitor} · {self.name}"


class PriceObservation(TimeStampedModel):
    """A price of a competing product seen on a day (a tender, a quote the
    customer showed us, a price list). Tied to a deal it is seen only with
    the deal."""

    product = models.ForeignKey(
        CompetitorProduct,
        on_delete=models.CASCADE,
        related_name="prices",
        verbose_name=_("competing product"),
    )
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    observed_on = models.DateField(_("observed on"))
    source = models.CharField(
        pgettext_lazy("price observation", "source"), max_length=200, blank=True
    )
    opportunity = models.ForeignKey(
        "projects.Opportunity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opportunity"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("observed price")
        verbose_name_plural = _("observed prices")
        ordering = ["-observed_on", "-id"]
        indexes = [
            models.Index(fields=["product", "observed_on"], name="price_obs_product_day"),
            models.Index(fields=["opportunity"], name="price_obs_opportunity"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="price_obs_positive")
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.price} ({self.observed_on})"


class ThreatLevel(models.TextChoices):
    LOW = "low", pgettext_lazy("threat", "Low")
    MEDIUM = "medium", pgettext_lazy("threat", "Medium")
    HIGH = "high", pgettext_lazy("threat", "High")


class DealCompetitor(TimeStampedModel):
    """A competitor present on one of our deals (CMP-2)."""

    opportunity = models.ForeignKey(
        "projects.Opportunity",
        on_delete=models.CASCADE,
        related_name="competitors",
        verbose_name=_("opportunity"),
    )
    competitor = models.ForeignKey(
        Competitor, on_delete=models.PROTECT, related_name="deals", verbose_name=_("competitor")
    )
    quote_amount = models.DecimalField(
        _("their quote"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    strategy = models.TextField(_("their strategy"), blank=True)
    threat = models.CharField(
        _("threat level"), max_length=10, choices=ThreatLevel.choices, default=ThreatLevel.MEDIUM
    )
    notes = models.TextField(_("notes"), blank=True)
    won_deal = models.BooleanField(_("won the deal"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("competitor on a deal")
        verbose_name_plural = _("competitors on deals")
        ordering = ["opportunity", "competitor__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "competitor"], name="deal_competitor_unique"
            ),
            models.UniqueConstraint(
                fields=["opportunity"],
                condition=models.Q(won_deal=True),
                name="deal_competitor_one_winner",
            ),
        ]
        indexes = [models.Index(fields=["competitor", "opportunity"], name="deal_competitor_comp")]

    def __str__(self) -> str:
        return f"{self.competitor} @ {self.opportunity_id}"


class CompetitiveOrder(TimeStampedModel):
    """A deal a competitor won outside our pipeline (CMP-3), seen with the customer."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
    )
    competitor = models.ForeignKey(
        Competitor, on_delete=models.PROTECT, related_name="orders", verbose_name=_("competitor")
    )
    product = models.ForeignKey(
        CompetitorProduct,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("competing product"),
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    won_on = models.DateField(_("date"))
    notes = models.TextField(_("notes"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("competitive order")
        verbose_name_plural = _("competitive orders")
        ordering = ["-won_on", "-id"]
        indexes = [
            models.Index(fields=["competitor", "won_on"], name="comp_order_comp_day"),
            models.Index(fields=["customer", "won_on"], name="comp_order_customer_day"),
            models.Index(fields=["won_on", "id"], name="comp_order_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="comp_order_positive")
        ]

    def __str__(self) -> str:
        return f"{self.competitor} · {self.customer} ({self.won_on})"
