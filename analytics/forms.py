"""The parameters of the funnel and forecast pages: period, scope, filters."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from analytics.periods import Period
from analytics.scopes import AnalysisScope, default_scope_key, resolve_scope, scope_choices
from crm.handover import employees_in_scope
from projects.models import Process, Product

OWNER_OUTSIDE_SCOPE = _("Choose an owner within your data scope.")


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class ReportForm(forms.Form):
    """Always bound: the page's query string over the defaults (this
    quarter, the user's widest scope), so a bare URL shows a report."""

    start = forms.DateField(
        label=pgettext_lazy("period", "From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=pgettext_lazy("period", "Until (not included)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    scope = forms.CharField(label=_("Scope"), widget=forms.Select)
    owner = OwnerChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.none(),
        required=False,
        error_messages={"invalid_choice": OWNER_OUTSIDE_SCOPE},
    )
    process = forms.ModelChoiceField(
        label=_("Sales process"), queryset=Process.objects.filter(is_active=True), required=False
    )
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True), required=False
    )

    def __init__(self, params, *, user, default_period: Period | None = None):
        self.user = user
        period = default_period or Period.quarter_of(timezone.localdate())
        data = {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "scope": default_scope_key(user),
        }
        data.update({key: value for key, value in params.items() if value not in (None, "")})
        super().__init__(data)
        self.fields["scope"].widget.choices = scope_choices(user)
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(employee__in=employees_in_scope(user).filter(is_active=True))
            .order_by("username")
        )
        self.analysis_scope: AnalysisScope | None = None
        self.period: Period | None = None

    def clean_scope(self) -> str:
        key = self.cleaned_data["scope"]
        self.analysis_scope = resolve_scope(self.user, key)
        return key

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, date) and isinstance(end, date):
            try:
                self.period = Period(start, end)
            except ValidationError as error:
                self.add_error("end", error)
        return cleaned

    def parameters(self) -> dict:
        """The canonical parameters of the report (after ``is_valid()``)."""
        data = self.cleaned_data

        def pk(name):
            return data[name].pk if data.get(name) else None

        return {
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "owner": pk("owner"),
            "process": pk("process"),
            "product": pk("product"),
        }
