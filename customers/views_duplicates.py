"""Duplicate check and merge pages (CUS-8).

The merge page of a customer (the source) lists its likely duplicates in the
user's scope to merge into, shows what will move (counts per relation), and
merges on confirmation through ``customer_merge``. The source is fetched
through the scope first (404 outside it), then the change permission is
checked (403); the service checks both customers again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from viewflow.utils import has_object_perm

from customers.duplicates import find_duplicates
from customers.forms import MergeTargetForm
from customers.merge import customer_merge, merge_related_counts
from customers.models import Customer
from customers.selectors import access_customer

MERGED = _("“%(source)s” was merged into this customer; it is archived and kept in the history.")
TEMPLATE = "customers/merge/customer_merge.html"


class CustomerMergeView(View):
    """Pick the customer to merge into, review what moves, confirm."""

    model = Customer

    def _source(self, request, pk) -> Customer:
        source = access_customer(user=request.user, pk=pk)
        if not has_object_perm(request.user, "change", Customer, obj=source):
            raise PermissionDenied
        return source

    def _render(self, request, *, source, form, target=None, status=200):
        candidates = [
            match
            for match in find_duplicates(
                user=request.user,
                name=source.name,
                phone=source.phone,
                exclude_pk=source.pk,
            )
            if match.visible and not match.is_archived
        ]
        context = {
            "source": source,
            "form": form,
            "candidates": candidates,
            "target": target,
            "moves": merge_related_counts(customer=source) if target is not None else [],
            "page_title": gettext("Merge “%(name)s” into another customer") % {"name": source},
        }
        return render(request, TEMPLATE, context, status=status)

    def get(self, request, pk):
        source = self._source(request, pk)
        if "target" not in request.GET and "target_number" not in request.GET:
            return self._render(request, source=source, form=MergeTargetForm(user=request.user))
        chosen = request.GET.get("target_number") or request.GET.get("target", "")
        form = MergeTargetForm({"target": chosen}, user=request.user)
        target = form.cleaned_data["target"] if form.is_valid() else None
        return self._render(request, source=source, form=form, target=target)

    def post(self, request, pk):
        source = self._source(request, pk)
        form = MergeTargetForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._render(request, source=source, form=form)
        target = form.cleaned_data["target"]
        try:
            target = customer_merge(source=source, target=target, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self._render(request, source=source, form=form, target=target)
        messages.success(request, MERGED % {"source": source.name})
        return HttpResponseRedirect(target.get_absolute_url())


urlpatterns: list = [
    path("<int:pk>/merge/", CustomerMergeView.as_view(), name="customer_merge"),
]
