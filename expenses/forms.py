from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Department
from expenses.models import ExpenseCategory, PeriodKind


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


class BudgetForm(forms.Form):
    """A new budget line (finance)."""

    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ExpenseCategory.objects.filter(is_active=True)
    )
    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    number = forms.IntegerField(
        label=_("Month or quarter"), min_value=1, max_value=12, required=False, initial=1
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    opportunity = forms.IntegerField(label=_("Deal (id)"), required=False, min_value=1)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class BudgetAmountForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
