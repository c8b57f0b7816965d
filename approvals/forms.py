from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.services import Decision

DECISION_LABELS = {
    Decision.APPROVE: _("Approve"),
    Decision.REJECT: _("Reject"),
    Decision.RETURN: _("Return for changes"),
}


class DecisionForm(forms.Form):
    """An approver's decision; the choices are those the document's flow offers."""

    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment (required when rejecting)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, decisions=(Decision.APPROVE, Decision.REJECT), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [
            (decision.value, DECISION_LABELS[decision]) for decision in decisions
        ]
