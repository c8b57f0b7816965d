"""Create and edit forms of customers (duplicate check before saving: CUS-8).

A valid form is checked for likely duplicates before anything is saved. If
there are some, the form comes back with the list and a "Save anyway"
button (it posts ``confirm_duplicates``); the same credit code is a hard
block (it is unique), shown as an error. Matches outside the user's data
scope are listed as "exists, owned by another team", without details. An
edit is only checked when the name, credit code or phone changed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from viewflow.utils import Icon, has_object_perm
from viewflow.views import Action, CreateModelView

from crm.viewsets import ScopedUpdateView
from customers.duplicates import find_duplicates
from customers.models import Customer
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
#: A change of one of these is checked for duplicates.
CHECKED_FIELDS = ("name", "credit_code", "phone")
CONFIRM_FIELD = "confirm_duplicates"
CREDIT_CODE_TAKEN = _("A customer with this credit code exists already; it cannot be saved twice.")
FORM_TEMPLATE = "customers/duplicates/customer_form.html"


def _save_through(service, view, form, **kwargs):
    """Run a service for a form view; its validation errors go back to the form."""
    try:
        view.object = service(by=view.request.user, **kwargs, **form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return view.form_invalid(form)
    view.message_user()
    return HttpResponseRedirect(view.get_success_url())


class DuplicateCheckMixin:
    """Stops a valid form that looks like an existing customer, once."""

    template_name = FORM_TEMPLATE
    duplicates: list = ()

    def _exclude_pk(self):
        return None

    def _find_duplicates(self, data: dict) -> list:
        return find_duplicates(
            user=self.request.user,
            name=data.get("name") or "",
            credit_code=data.get("credit_code") or "",
            phone=data.get("phone") or "",
            exclude_pk=self._exclude_pk(),
        )

    def _needs_check(self, form) -> bool:
        return True

    def check_duplicates(self, form):
        """A response that stops the save, or None to go on saving."""
        if not self._needs_check(form):
            return None
        self.duplicates = self._find_duplicates(form.cleaned_data)
        if any(match.blocks_saving for match in self.duplicates):
            form.add_error("credit_code", CREDIT_CODE_TAKEN)
            return self.form_invalid(form, checked=True)
        if self.duplicates and not self.request.POST.get(CONFIRM_FIELD):
            return self.render_to_response(self.get_context_data(form=form))
        return None

    def form_invalid(self, form, checked: bool = False):
        if not checked and form.cleaned_data.get("name") and self._needs_check(form):
            self.duplicates = self._find_duplicates(form.cleaned_data)
        return super().form_invalid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["duplicates"] = self.duplicates
        context["duplicates_block"] = any(match.blocks_saving for match in self.duplicates)
        context["confirm_field"] = CONFIRM_FIELD
        return context


class CustomerCreateView(DuplicateCheckMixin, CreateModelView):
    def form_valid(self, form):
        return self.check_duplicates(form) or _save_through(customer_create, self, form)


class CustomerUpdateView(DuplicateCheckMixin, ScopedUpdateView):
    def _exclude_pk(self):
        return self.object.pk

    def _needs_check(self, form) -> bool:
        return any(name in form.changed_data for name in CHECKED_FIELDS)

    def form_valid(self, form):
        return self.check_duplicates(form) or _save_through(
            customer_update, self, form, customer=self.object
        )

    def get_page_actions(self, *actions):
        """ "Merge into…" next to the form, for whoever may change the customer."""
        if has_object_perm(self.request.user, "change", Customer, obj=self.object):
            actions = (
                Action(
                    name=_("Merge into…"),
                    url=reverse("customers:customer_merge", kwargs={"pk": self.object.pk}),
                    icon=Icon("merge_type", class_="material-icons mdc-list-item__graphic"),
                ),
                *actions,
            )
        return super().get_page_actions(*actions)
