"""Forms of the quote pages. They check the shape of input only: totals,
permissions and the rules of drafts are the services' (``projects.quotes.services``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from projects.models import Product

MAX_LINES = 50


class QuoteForm(forms.Form):
    valid_until = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    terms = forms.CharField(
        label=_("Terms"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class QuoteLineForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True).order_by("code")
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    discount = forms.DecimalField(
        label=_("Discount (%)"),
        max_digits=5,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"placeholder": "0", "step": "0.01"}),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    list_price = forms.DecimalField(
        label=_("Price (empty: list price)"),
        max_digits=14,
        decimal_places=2,
        required=False,
        validators=[MinValueValidator(Decimal("0"))],
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, may_set_price: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Without the ``set_line_price`` permission the catalogue's price applies.
        self.fields["list_price"].disabled = not may_set_price

    def line(self) -> dict:
        data = self.cleaned_data
        return {
            "product": data["product"],
            "quantity": data["quantity"],
            "discount": data.get("discount") or Decimal("0"),
            "list_price": data.get("list_price"),
            "description": data.get("description", ""),
        }


QuoteLineFormSet = formset_factory(
    QuoteLineForm,
    extra=3,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    min_num=1,
    validate_min=True,
)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (required when rejecting)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
