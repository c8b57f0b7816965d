"""Forms of the customer's 360° page: contacts, follow-ups, lifecycle.

They check the shape of the input only; the services check the rules
(same-customer reporting lines, contacts of this customer, …).
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, FollowUp, LifecycleStage

CONTACT_FIELDS = [
    "name",
    "title",
    "department_name",
    "phone",
    "mobile",
    "email",
    "wechat",
    "birthday",
    "interests",
    "notes",
    "decision_role",
    "influence",
    "attitude",
    "reports_to",
    "is_active",
]


class ContactForm(forms.ModelForm):
    """All CUS-4/CUS-5 fields of a contact. ``reports_to`` offers the other
    contacts of the same customer only."""

    job_changed_on = forms.DateField(
        label=_("job change effective on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Used when the title or department changes; default today."),
    )

    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        widgets = {
            "birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, colleagues=None, **kwargs):
        super().__init__(*args, **kwargs)
        if colleagues is not None:
            self.fields["reports_to"].queryset = colleagues
        if self.instance.pk is None:
            del self.fields["job_changed_on"]


class FollowUpForm(forms.ModelForm):
    """The short inline form of the customer page: a record in a few seconds."""

    class Meta:
        model = FollowUp
        fields = [
            "kind",
            "occurred_at",
            "contacts",
            "subject",
            "outcome",
            "next_step",
            "next_step_date",
        ]
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "contacts": forms.CheckboxSelectMultiple,
            "outcome": forms.Textarea(attrs={"rows": 2}),
            "next_step_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, contacts=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if contacts is not None:
            self.fields["contacts"].queryset = contacts

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("next_step_date") and not cleaned.get("next_step"):
            self.add_error("next_step", _("Say what the next step is."))
        return cleaned


class StageChangeForm(forms.Form):
    stage = forms.ChoiceField(label=_("new stage"), choices=LifecycleStage.choices)
    cause = forms.CharField(label=_("cause"), max_length=300)


class ArchiveForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)
