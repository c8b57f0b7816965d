"""Forms of the opportunity pages. They check the shape of the input; the
services in ``projects.services`` check the rules (stage of the deal's
process, a loss reason for a lost deal, contacts of the deal's customer …).

Choices that the deal page has read already are passed in as lists, so a
form costs no query of its own when the page is rendered.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer
from projects.models import (
    Opportunity,
    OpportunityMember,
    OpportunityPartner,
    OpportunitySource,
    Process,
    Stage,
    StagePlan,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PROBABILITY_HELP = _("0–100; empty: the stage's default win probability.")
STAGE_NOT_IN_PROCESS = _("This stage belongs to another sales process.")
CLOSE_MONTH_INVALID = _("Enter a month as YYYY-MM.")


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Stage) -> str:
        return f"{obj.process} · {obj}"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class EmployeeChoiceField(forms.ModelChoiceField):
    """Employees, keyed by their user id, named as people know them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "user_id")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        return str(obj)


# --- List -------------------------------------------------------------------------


class OpportunityFilterForm(forms.Form):
    SORTS = {
        # Newest first by id: the primary key read backwards within the
        # scope filter, no sort of every visible deal.
        "-created": (_("Newest"), ("-id",)),
        "close": (_("Expected close date"), ("expected_close_date", "id")),
        "-amount": (_("Largest amount"), ("-expected_amount", "id")),
        "-updated": (_("Recently updated"), ("-updated_at", "-id")),
        "title": (pgettext_lazy("record name", "Title"), ("title", "id")),
    }

    q = forms.CharField(label=_("Title contains"), required=False, max_length=100)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    process = forms.ModelChoiceField(queryset=None, required=False, label=_("Sales process"))
    stage = StageChoiceField(queryset=None, required=False, label=_("Stage"))
    status = forms.ChoiceField(
        choices=[("", "—"), *Stage.Kind.choices], required=False, label=_("Status")
    )
    owner = EmployeeChoiceField(queryset=None, required=False, label=_("Owner"))
    close_month = forms.CharField(
        label=_("Expected close month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    sort = forms.ChoiceField(
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
        required=False,
        label=_("Sort by"),
    )

    def __init__(self, *args, employees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = Process.objects.filter(is_active=True)
        self.fields["stage"].queryset = Stage.objects.filter(
            process__is_active=True
        ).select_related("process")
        self.fields["owner"].queryset = employees

    def clean_close_month(self) -> date | None:
        raw = (self.cleaned_data.get("close_month") or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(f"{raw}-01")
        except ValueError:
            raise forms.ValidationError(CLOSE_MONTH_INVALID) from None

    @property
    def order_by(self) -> tuple[str, ...]:
        key = self.cleaned_data.get("sort") or "-created"
        return self.SORTS.get(key, self.SORTS["-created"])[1]


# --- Create and edit ----------------------------------------------------------------

DETAIL_FIELDS = [
    "title",
    "source",
    "expected_amount",
    "probability",
    "expected_close_date",
    "description",
    "contacts",
]


class OpportunityDetailsForm(forms.ModelForm):
    """The deal's details; the stage is changed by the move form only."""

    class Meta:
        model = Opportunity
        fields = DETAIL_FIELDS
        widgets = {
            "expected_close_date": DATE,
            "description": forms.Textarea(attrs={"rows": 4}),
            "contacts": forms.CheckboxSelectMultiple,
        }

    probability = forms.IntegerField(
        label=_("win probability (%)"), min_value=0, max_value=100, help_text=PROBABILITY_HELP
    )

    def __init__(self, *args, contacts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "—"), *OpportunitySource.choices]
        self.fields["expected_amount"].widget.attrs.update({"min": 0, "step": "0.01"})
        self.fields["contacts"].queryset = contacts
        self.fields["contacts"].required = False

    def clean_expected_amount(self):
        amount = self.cleaned_data.get("expected_amount")
        if amount is not None and amount < 0:
            raise forms.ValidationError(_("An amount cannot be negative."))
        return amount


class OpportunityCreateForm(OpportunityDetailsForm):
    """A new deal: the customer among those the user sees, its process and
    first stage, and its details. Managers may give it to a colleague or
    leave it in the pool."""

    customer = forms.ModelChoiceField(queryset=None, label=_("Customer"))
    process = forms.ModelChoiceField(queryset=None, label=_("Sales process"))
    stage = StageChoiceField(
        queryset=None,
        required=False,
        label=_("First stage"),
        help_text=_("Empty: the first stage of the process."),
    )
    owner = EmployeeChoiceField(
        queryset=None,
        required=False,
        label=_("Owner"),
        empty_label=_("Nobody: put it in the pool"),
    )

    field_order = ["customer", "process", "stage", "title"]

    class Meta(OpportunityDetailsForm.Meta):
        pass

    def __init__(self, *args, customers, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["probability"].required = False
        self.fields["customer"].queryset = customers
        self.fields["process"].queryset = Process.objects.filter(is_active=True)
        self.fields["stage"].queryset = Stage.objects.filter(
            process__is_active=True, kind=Stage.Kind.OPEN, is_active=True
        ).select_related("process")
        if owners is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].queryset = owners

    def clean(self):
        cleaned = super().clean()
        process, stage = cleaned.get("process"), cleaned.get("stage")
        if process and stage and stage.process_id != process.pk:
            self.add_error("stage", STAGE_NOT_IN_PROCESS)
        customer = cleaned.get("customer")
        contacts = cleaned.get("contacts") or []
        if customer and any(c.customer_id != customer.pk for c in contacts):
            self.add_error("contacts", _("Choose contacts of the deal's customer."))
        return cleaned

    def _post_clean(self):
        # The model is built by the service; nothing to validate on an instance here.
        pass


class OpportunityUpdateForm(OpportunityDetailsForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["probability"].required = True

    def _post_clean(self):
        pass


def customer_choices(user):
    return (
        Customer.objects.visible_to(user)
        .filter(is_archived=False)
        .only("id", "name")
        .order_by("name", "id")
    )


# --- The deal page ------------------------------------------------------------------


class MoveForm(forms.Form):
    """Move the deal into another stage of its process, close it or reopen it."""

    to_stage = forms.TypedChoiceField(label=_("Move to"), coerce=int)
    loss_reason = forms.TypedChoiceField(
        label=_("Loss reason"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Required when the deal is lost."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, stages, loss_reasons, current: Stage, **kwargs):
        super().__init__(*args, **kwargs)
        if current.is_open:
            offered = [s for s in stages if s.is_active and s.pk != current.pk]
        else:
            # A closed deal is reopened into an open stage.
            offered = [s for s in stages if s.is_active and s.is_open]
            self.fields["to_stage"].label = _("Reopen into")
        self.stages = {s.pk: s for s in stages}
        self.fields["to_stage"].choices = [(s.pk, str(s)) for s in offered]
        self.reasons = {r.pk: r for r in loss_reasons}
        self.fields["loss_reason"].choices = [("", "—"), *((r.pk, str(r)) for r in loss_reasons)]
        if not current.is_open:
            del self.fields["loss_reason"]

    def clean_to_stage(self) -> Stage:
        return self.stages[self.cleaned_data["to_stage"]]

    def clean_loss_reason(self):
        pk = self.cleaned_data.get("loss_reason")
        return self.reasons.get(pk) if pk else None


class MemberForm(forms.Form):
    user = PersonChoiceField(queryset=None, label=_("Employee"))
    role = forms.ChoiceField(label=_("Role"), choices=OpportunityMember.Role.choices)

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = colleagues


class PartnerForm(forms.Form):
    partner = forms.ModelChoiceField(queryset=None, label=_("Partner"))
    role = forms.ChoiceField(label=_("Role"), choices=OpportunityPartner.Role.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners


class PlanItemForm(forms.ModelForm):
    """A step of the stage plan (OPP-5): a stage of the process or a milestone."""

    item = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = StagePlan
        fields = [
            "stage",
            "name",
            "order",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
        ]
        widgets = {
            "planned_start": DATE,
            "planned_end": DATE,
            "actual_start": DATE,
            "actual_end": DATE,
        }

    def __init__(self, *args, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"] = forms.TypedChoiceField(
            label=_("Stage"),
            coerce=int,
            required=False,
            empty_value=None,
            choices=[("", _("— milestone —")), *((s.pk, str(s)) for s in stages)],
            initial=self.instance.stage_id,
        )
        self.stages = {s.pk: s for s in stages}

    def clean_stage(self):
        pk = self.cleaned_data.get("stage")
        return self.stages.get(pk) if pk else None

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The planned end is before the planned start."))
        actual_start, actual_end = cleaned.get("actual_start"), cleaned.get("actual_end")
        if actual_end and not actual_start:
            self.add_error("actual_start", _("Give the actual start too."))
        elif actual_start and actual_end and actual_end < actual_start:
            self.add_error("actual_end", _("The actual end is before the actual start."))
        return cleaned

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("item", None)
        return data


class TodoForm(forms.Form):
    title = forms.CharField(label=_("To-do"), max_length=200)
    due_date = forms.DateField(label=_("Due date"), widget=DATE)
    assignee = forms.TypedChoiceField(label=_("Assignee"), coerce=int)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = people


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write a message."))
        return body


class ProductLineForm(forms.Form):
    product = forms.ModelChoiceField(queryset=None, label=_("Product"))
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, min_value=0.01, initial=1
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Empty: the list price."),
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products


class EvaluationForm(forms.Form):
    """The process's questionnaire: one radio group per question."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        for question in questions:
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=str(question),
                coerce=int,
                widget=forms.RadioSelect,
                choices=[
                    (option.pk, f"{option} ({option.points})") for option in question.options.all()
                ],
            )
        self.questions = questions

    def answers(self) -> dict[int, int]:
        return {q.pk: self.cleaned_data[f"q{q.pk}"] for q in self.questions}


class ReassignForm(forms.Form):
    owner = EmployeeChoiceField(queryset=None, label=_("New owner"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, employees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = employees


CHOOSE_DEALS = _("Choose at least one deal.")


class IdListField(forms.Field):
    """Ids of records ticked in a list (``name=ids`` repeated)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(CHOOSE_DEALS) from None


class AssignForm(forms.Form):
    """Assign many pooled deals to one rep (OPP-2)."""

    owner = forms.TypedChoiceField(label=_("Assign to"), coerce=int)
    ids = IdListField(error_messages={"required": CHOOSE_DEALS})

    def __init__(self, *args, reps, **kwargs):
        super().__init__(*args, **kwargs)
        self.reps = {rep.user_id: rep for rep in reps}
        self.fields["owner"].choices = [(rep.user_id, f"{rep} ({rep.open_deals})") for rep in reps]
