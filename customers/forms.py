"""Forms of duplicate control and merging (CUS-8). They check the shape of
the input only; who may merge what is decided by ``customer_merge``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

NO_SUCH_TARGET = _("There is no customer with this number in your data scope.")


class MergeTargetForm(forms.Form):
    """The customer to merge into, by its number (id), looked up in the user's scope."""

    target = forms.IntegerField(label=_("Merge into customer number"), min_value=1)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_target(self) -> Customer:
        pk = self.cleaned_data["target"]
        target = (
            Customer.objects.visible_to(self.user).select_related("owner").filter(pk=pk).first()
        )
        if target is None:
            raise forms.ValidationError(NO_SUCH_TARGET)
        return target
