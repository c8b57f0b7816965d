"""Create and edit forms of customers (duplicate check before saving: CUS-8)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from viewflow.views import CreateModelView

from crm.viewsets import ScopedUpdateView
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
