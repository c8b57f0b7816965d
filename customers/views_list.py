"""The customer list page (CUS-1): filters, sort, keyset pages, export link."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView

from customers.listing import CustomerFilterForm, customer_page


class CustomerListView(TemplateView):
    template_name = "customers/customer_list.html"
    viewset = None
    model = None

    def get_context_data(self, **kwargs):
        # Always bound: no filter is a valid choice too (the first page, by name).
        form = CustomerFilterForm(self.request.GET, user=self.request.user)
        page = None
        if form.is_valid():
            page = customer_page(
                user=self.request.user,
                form=form,
                after=self.request.GET.get("after", ""),
                before=self.request.GET.get("before", ""),
            )
        query = self.request.GET.copy()
        for key in ("after", "before"):
            query.pop(key, None)
        try:
            export_url = reverse("customers:customer_export")
        except NoReverseMatch:
            export_url = None
        user = self.request.user
        return super().get_context_data(
            form=form,
            page=page,
            filters=query.urlencode(),
            export_url=export_url,
            can_add=user.has_perm("customers.add_customer"),
            **kwargs,
        )
