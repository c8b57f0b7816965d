"""Forms of the competitors pages; they validate input, the services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from competitors.models import (
    CompetitiveOrder,
    Competitor,
    CompetitorProduct,
    DealCompetitor,
    PriceObservation,
)


class DealCompetitorForm(forms.ModelForm):
    class Meta:
        model = DealCompetitor
        fields = ["competitor", "quote_amount", "threat", "strategy", "notes", "won_deal"]
        widgets = {
            "strategy": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competitor"].queryset = Competitor.objects.filter(is_active=True)
        if self.instance.pk:
            del self.fields["competitor"]

    def clean_quote_amount(self):
        amount = self.cleaned_data.get("quote_amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))
        return amount

    def _post_clean(self):  # the service validates and writes the model
        pass


class PriceObservationForm(forms.ModelForm):
    class Meta:
        model = PriceObservation
        fields = ["product", "price", "observed_on", "source"]
        widgets = {"observed_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, competitor: Competitor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = CompetitorProduct.objects.filter(competitor=competitor)

    def _post_clean(self):
        pass


class CompetitiveOrderForm(forms.ModelForm):
    customer_id = forms.IntegerField(label=_("customer (number)"), min_value=1)

    class Meta:
        model = CompetitiveOrder
        fields = ["competitor", "product", "amount", "won_on", "notes"]
        widgets = {
            "won_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competitor"].queryset = Competitor.objects.filter(is_active=True)
        self.fields["product"].queryset = CompetitorProduct.objects.select_related("competitor")
        if customer is not None:  # opened from the customer's page
            self.fields["customer_id"].widget = forms.HiddenInput()
            self.customer_name = customer.name

    def _post_clean(self):
        pass
