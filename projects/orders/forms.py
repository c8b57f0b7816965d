"""Forms of the order and contract pages. They check the shape of input
only; amounts, totals and every rule are the services' (``projects.orders.services``,
``projects.contracts.services``)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from projects.models import Product

MAX_LINES = 50
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrderForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    order_date = forms.DateField(label=_("Order date"), widget=DATE, initial=timezone.localdate)
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=300, required=False)
    payment_terms = forms.CharField(label=_("Payment terms"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = (
            Customer.objects.visible_to(user).filter(is_archived=False).order_by("name")
        )


class OrderLineForm(forms.Form):
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
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    def line(self) -> dict:
        data = self.cleaned_data
        return {
            "product": data["product"],
            "quantity": data["quantity"],
            "discount": data.get("discount") or Decimal("0"),
        }


OrderLineFormSet = formset_factory(
    OrderLineForm,
    extra=3,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    min_num=1,
    validate_min=True,
)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Send back to the rep"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (required when sending back)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DeliveryForm(forms.Form):
    """One quantity field per order line still open (``line_<id>``)."""

    delivered_on = forms.DateField(label=_("Delivered on"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"line_{line.pk}"] = forms.DecimalField(
                label=str(line.product),
                max_digits=12,
                decimal_places=2,
                required=False,
                help_text=_("%(open)s of %(ordered)s still open")
                % {"open": line.open_quantity, "ordered": line.quantity},
            )

    def line_fields(self):
        return [(line, self[f"line_{line.pk}"]) for line in self.lines]

    def quantities(self) -> dict[int, Decimal]:
        return {
            line.pk: self.cleaned_data[f"line_{line.pk}"]
            for line in self.lines
            if self.cleaned_data.get(f"line_{line.pk}") not in (None, Decimal("0"))
        }


class CollectionForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount received"), max_digits=14, decimal_places=2)
    received_on = forms.DateField(label=_("Received on"), widget=DATE, initial=timezone.localdate)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
