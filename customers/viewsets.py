"""The Customers area of the UI (viewflow viewsets)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from viewflow.views import CreateModelView

from crm.viewsets import CrmApplication, ScopedModelViewset, ScopedUpdateView
from customers.models import Contact, Customer, FollowUp
from customers.services import customer_create, customer_update

CUSTOMER_FORM_FIELDS = [
    "name",
    "short_name",
    "credit_code",
    "type",
    "industry",
    "region",
    "address",
    "phone",
    "website",
    "size",
    "source",
    "value_grade",
    "credit_status",
    "notes",
]


def _save_through(service, view, form, **kwargs):
    """Run a service for a form view; its validation errors go back to the form."""
    try:
        view.object = service(by=view.request.user, **kwargs, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return view.form_invalid(form)
    view.message_user()
    return HttpResponseRedirect(view.get_success_url())


class CustomerCreateView(CreateModelView):
    def form_valid(self, form):
        return _save_through(customer_create, self, form)


class CustomerUpdateView(ScopedUpdateView):
    def form_valid(self, form):
        return _save_through(customer_update, self, form, customer=self.object)


class CustomerViewset(ScopedModelViewset):
    model = Customer
    icon = "business"
    title = _("Customers")
    create_view_class = CustomerCreateView
    update_view_class = CustomerUpdateView
    list_columns = (
        "name",
        "region",
        "industry",
        "type",
        "lifecycle_stage",
        "value_grade",
        "owner_name",
        "department",
    )
    list_filter_fields = ("type", "industry", "lifecycle_stage", "value_grade", "is_archived")
    list_search_fields = ("name", "short_name", "credit_code")
    list_paginate_by = 25

    def get_create_view_kwargs(self, **kwargs):
        return super().get_create_view_kwargs(fields=CUSTOMER_FORM_FIELDS, **kwargs)

    def get_update_view_kwargs(self, **kwargs):
        return super().get_update_view_kwargs(fields=CUSTOMER_FORM_FIELDS, **kwargs)

    delete_path = None  # customers are archived, not deleted (customer_archive)

    def has_delete_permission(self, user, obj=None):
        return False


class ContactViewset(ScopedModelViewset):
    model = Contact
    icon = "contacts"
    title = _("Contacts")
    list_columns = ("name", "customer", "title", "mobile", "decision_role", "attitude")
    list_filter_fields = ("decision_role", "attitude")
    list_search_fields = ("name", "mobile", "email")
    list_paginate_by = 25
    list_select_related = ("owner", "department", "branch", "customer")
    create_path = None  # added on the customer's page
    update_path = None
    delete_path = None

    def has_add_permission(self, user):
        return False  # contacts are added on their customer's page

    def has_change_permission(self, user, obj=None):
        return False

    def has_delete_permission(self, user, obj=None):
        return False


class FollowUpViewset(ScopedModelViewset):
    model = FollowUp
    icon = "event_note"
    title = _("Follow-up records")
    list_columns = ("occurred_at", "customer", "kind", "subject", "next_step", "next_step_date")
    list_filter_fields = ("kind", "next_step_done")
    list_paginate_by = 25
    list_select_related = ("owner", "department", "branch", "customer")
    create_path = None  # logged on the customer's page
    update_path = None
    delete_path = None

    def has_add_permission(self, user):
        return False

    def has_change_permission(self, user, obj=None):
        return False

    def has_delete_permission(self, user, obj=None):
        return False


class CustomersApp(CrmApplication):
    title = _("Customers")
    icon = "business"
    app_name = "customers"
    viewsets = [CustomerViewset(), ContactViewset(), FollowUpViewset()]
