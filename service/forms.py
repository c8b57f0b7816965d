"""Forms of the service pages: they check the shape of input only; the rules
are the services' (``service.services``, ``service.care``)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer
from projects.models import Product
from service.models import Channel, Priority, RequestType

User = get_user_model()


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _person(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return _person(obj)


class CustomerPickForm(forms.Form):
    """Step one of a new request when it is not opened from a customer's page."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = (
            Customer.objects.visible_to(user).filter(is_archived=False).order_by("name")
        )


class ServiceRequestForm(forms.Form):
    request_type = forms.ChoiceField(label=_("Type"), choices=RequestType.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(is_active=True).order_by("code"),
        required=False,
    )
    employees = PeopleChoiceField(
        label=_("Employees concerned"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("For complaints and praise: whom they are about."),
    )
    take_it = forms.BooleanField(label=_("I handle it myself"), required=False)

    def __init__(self, *args, user, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = (
            Contact.objects.visible_to(user)
            .filter(customer=customer, is_active=True)
            .order_by("name")
        )
        self.fields["employees"].queryset = User.objects.filter(
            is_active=True, employee__is_active=True, employee__department__branch=customer.branch
        ).order_by("first_name", "username")
        if not user.has_perm("service.change_servicerequest"):
            del self.fields["take_it"]


class AssignForm(forms.Form):
    assignee = PersonChoiceField(label=_("Assign to"), queryset=User.objects.none())

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents


class QueueAssignForm(AssignForm):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in choices]


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class CloseForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("Customer satisfaction"),
        choices=[("", "—"), *[(n, str(n)) for n in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=500, required=False)


class CareFinishForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
