from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from expenses.models import ExpenseCategory


class ClaimForm(forms.Form):
    """A draft claim. Linked records are given by id (a deal's or customer's
    page fills them in); the service reads each within the user's scope."""

    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ExpenseCategory.objects.filter(is_active=True)
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    spent_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    opportunity = forms.IntegerField(label=_("Deal (id)"), required=False, min_value=1)
    customer = forms.IntegerField(label=_("Customer (id)"), required=False, min_value=1)
    contact = forms.IntegerField(label=_("Contact (id)"), required=False, min_value=1)

    @classmethod
    def initial_for(cls, claim) -> dict:
        return {
            "category": claim.category_id,
            "amount": claim.amount,
            "spent_on": claim.spent_on,
            "description": claim.description,
            "opportunity": claim.opportunity_id,
            "customer": claim.customer_id,
            "contact": claim.contact_id,
        }
