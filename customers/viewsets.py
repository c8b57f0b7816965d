"""The Customers area of the UI (viewflow viewsets)."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from viewflow.views import CreateModelView

from crm.viewsets import CrmApplication, ScopedModelViewset, ScopedUpdateView
from customers.models import Customer
from customers.services import customer_create, customer_update

CUSTOMER_FORM_FIELDS = ["name", "short_name", "industry", "region"]


class CustomerCreateView(CreateModelView):
    def form_valid(self, form):
        self.object = customer_create(by=self.request.user, **form.cleaned_data)
        self.message_user()
        return HttpResponseRedirect(self.get_success_url())


class CustomerUpdateView(ScopedUpdateView):
    def form_valid(self, form):
        self.object = customer_update(
            customer=self.object, by=self.request.user, **form.cleaned_data
        )
        self.message_user()
        return HttpResponseRedirect(self.get_success_url())


class CustomerViewset(ScopedModelViewset):
    model = Customer
    icon = "business"
    title = _("Customers")
    create_view_class = CustomerCreateView
    update_view_class = CustomerUpdateView
    list_columns = ("name", "short_name", "industry", "region", "owner_name", "department")
    list_filter_fields = ("industry",)
    list_search_fields = ("name", "short_name")
    list_paginate_by = 25

    def get_create_view_kwargs(self, **kwargs):
        return super().get_create_view_kwargs(fields=CUSTOMER_FORM_FIELDS, **kwargs)

    def get_update_view_kwargs(self, **kwargs):
        return super().get_update_view_kwargs(fields=CUSTOMER_FORM_FIELDS, **kwargs)

    def has_delete_permission(self, user, obj=None):
        # Customers are archived, not deleted, once others depend on them
        # (the customer issue adds archiving); until then only admins delete.
        return user.is_superuser


class CustomersApp(CrmApplication):
    title = _("Customers")
    icon = "business"
    app_name = "customers"
    viewsets = [CustomerViewset()]
