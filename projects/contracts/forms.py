"""Forms of the order and contract pages. They check the shape of input
only; amounts, totals and every rule are the services' (``projects.orders.services``,
``projects.contracts.services``)."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import MilestoneKind

MAX_LINES = 50
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MilestoneForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MilestoneKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)


class InstalmentForm(forms.Form):
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)


MilestoneFormSet = formset_factory(MilestoneForm, extra=2, can_delete=True, max_num=MAX_LINES)
InstalmentFormSet = formset_factory(
    InstalmentForm,
    extra=2,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    min_num=1,
    validate_min=True,
)


class SignForm(forms.Form):
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE, initial=timezone.localdate)


class ExecutionRecordForm(forms.Form):
    what = forms.CharField(label=_("What was done"), max_length=300)
    milestone = forms.ModelChoiceField(label=_("Milestone"), queryset=None, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, required=False
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, required=False)
    done_on = forms.DateField(label=_("Date"), widget=DATE, initial=timezone.localdate)

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = contract.milestones.order_by("due_on", "id")


class InstalmentPaymentForm(forms.Form):
    instalment = forms.ModelChoiceField(label=_("Instalment"), queryset=None)
    amount = forms.DecimalField(label=_("Amount received"), max_digits=14, decimal_places=2)

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instalment"].queryset = contract.instalments.order_by("sequence")
