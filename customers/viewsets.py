"""The Customers area of the UI (viewflow viewsets)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm.viewsets import CrmApplication, ScopedModelViewset
from customers import views_360, views_duplicates, views_import
from customers.models import Contact, Customer, FollowUp
from customers.views_forms import CUSTOMER_FORM_FIELDS, CustomerCreateView, CustomerUpdateView
from customers.views_list import CustomerListView


class CustomerViewset(ScopedModelViewset):
    model = Customer
    icon = "business"
    title = _("Customers")
    create_view_class = CustomerCreateView
    update_view_class = CustomerUpdateView
    detail_view_class = views_360.Customer360View
    # Keyset pages, capped counts and indexed filters (customers.listing).
    list_view_class = CustomerListView

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
    detail_view_class = views_360.ContactDetailView
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
    detail_view_class = views_360.FollowUpDetailView
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
    urlpatterns = [
        *views_360.urlpatterns,
        *views_duplicates.urlpatterns,
        *views_import.urlpatterns,
    ]
