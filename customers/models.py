from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from crm.models import ScopedModel


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


class Customer(ScopedModel):
    """A company (or person) we sell to. It belongs to the company, not the rep."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices, blank=True)
    region = models.CharField(_("region"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="customer_name_id"),
            # A rep's list (own scope) reads its first page straight off this.
            models.Index(fields=["owner", "name", "id"], name="customer_owner_name_id"),
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
