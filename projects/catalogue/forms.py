"""Forms of the product catalogue pages (QUO-1)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.models import Product


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["code", "name", "category", "unit", "list_price", "cost", "tax_rate"]


class ProductFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("active", _("On sale")),
        ("archived", _("Archived")),
        ("all", _("All")),
    ]

    q = forms.CharField(label=_("Code or name"), required=False, max_length=100)
    category = forms.CharField(label=_("Category"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)


class ProductImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))
