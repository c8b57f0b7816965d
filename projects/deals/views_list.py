"""The opportunity list (filters, sort, pages), the create and edit forms,
and the customer page's list of deals (OPP-1).

Every view reads through ``projects.selectors`` (scoped; a deal outside the
scope is a 404) and writes through ``projects.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from crm.paging import page_number
from customers.models import Contact, Customer
from customers.selectors import access_customer
from projects.deals import selectors, services
from projects.deals.forms import (
    OpportunityCreateForm,
    OpportunityFilterForm,
    OpportunityUpdateForm,
    customer_choices,
)
from projects.deals.permissions import deal_rights
from projects.models import Opportunity

PAGE_SIZE = 25
#: Counts are exact up to this many deals ("more than …" beyond).
COUNT_CAP = 5_000
#: The list reads only what its rows show.
LIST_COLUMNS = (
    "id",
    "title",
    "status",
    "expected_amount",
    "probability",
    "expected_close_date",
    "created_at",
    "updated_at",
    "stage_entered_at",
    "customer__id",
    "customer__name",
    "process__id",
    "process__name",
    "process__name_en",
    "stage__id",
    "stage__name",
    "stage__name_en",
    "stage__kind",
    "stage__rot_days",
    "owner__id",
    "owner__username",
    "owner__first_name",
    "owner__last_name",
)
DEAL_CREATED = _("Deal “%(title)s” opened.")
DEAL_SAVED = _("Deal “%(title)s” saved.")


def add_errors(form, error: ValidationError) -> None:
    """A service's validation error, on the form field it names if the form has it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class OpportunityListView(View):
    """Deals in the user's scope, filtered and sorted, 25 a page; the count
    is exact up to ``COUNT_CAP``."""

    viewset = None
    model = None

    def get(self, request):
        user = request.user
        employees = selectors.employee_choices(user)
        form = OpportunityFilterForm(request.GET or {}, employees=employees)
        rows, count, capped, has_next = [], 0, False, False
        page = page_number(request.GET.get("page"))
        if form.is_valid():
            queryset = self.filtered(form, Opportunity.objects.visible_to(user))
            count = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
            capped = count > COUNT_CAP
            offset = (page - 1) * PAGE_SIZE
            rows = list(
                queryset.select_related("customer", "process", "stage", "owner")
                .only(*LIST_COLUMNS)
                .order_by(*form.order_by)[offset : offset + PAGE_SIZE + 1]
            )
            has_next = len(rows) > PAGE_SIZE
            rows = rows[:PAGE_SIZE]
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "projects/opportunity_list.html",
            {
                "form": form,
                "rows": rows,
                "count": min(count, COUNT_CAP),
                "count_capped": capped,
                "page": page,
                "has_next": has_next,
                "filters": query.urlencode(),
                "can_add": user.has_perm("projects.add_opportunity"),
                "page_title": gettext("Opportunities"),
            },
        )

    @staticmethod
    def filtered(form: OpportunityFilterForm, queryset):
        data = form.cleaned_data
        if data.get("q"):
            for word in data["q"].split():
                queryset = queryset.filter(title__icontains=word)
        if data.get("customer"):
            queryset = queryset.filter(customer_id=data["customer"])
        if data.get("process"):
            queryset = queryset.filter(process=data["process"])
        if data.get("stage"):
            queryset = queryset.filter(stage=data["stage"])
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("owner"):
            queryset = queryset.filter(owner_id=data["owner"].user_id)
        if data.get("close_month"):
            first, following = selectors.month_bounds(data["close_month"])
            queryset = queryset.filter(
                expected_close_date__gte=first, expected_close_date__lt=following
            )
        return queryset


def _contacts_of(user, customer_id) -> object:
    """Active contacts of one customer that the user sees (none without a customer)."""
    contacts = Contact.objects.visible_to(user).filter(is_active=True).order_by("name", "id")
    return contacts.filter(customer_id=customer_id) if customer_id else contacts.none()


class OpportunityCreateView(View):
    """Open a deal. ``?customer=<pk>`` preselects a customer (the link of the
    customer page) and offers its contacts as key contacts."""

    viewset = None
    model = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("projects.add_opportunity"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None):
        user = self.request.user
        customer_id = (data or {}).get("customer") or self.request.GET.get("customer")
        initial = {}
        if customer_id and data is None:
            customer = access_customer(user=user, pk=customer_id)  # 404 outside the scope
            initial["customer"] = customer.pk
        try:
            customer_id = int(customer_id) if customer_id else None
        except (TypeError, ValueError):
            customer_id = None
        process = selectors.default_process()
        if process is not None:
            initial["process"] = process.pk
        owners = None
        if user.has_perm("projects.assign_opportunity"):
            owners = selectors.employee_choices(user)
            initial["owner"] = user.pk
        return OpportunityCreateForm(
            data,
            initial=initial,
            customers=customer_choices(user),
            contacts=_contacts_of(user, customer_id),
            owners=owners,
        )

    def get(self, request):
        return self._render(self._form())

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            if "owner" in form.fields:
                employee = fields.pop("owner")
                owner = employee.user if employee else None
            else:
                owner = request.user
            try:
                deal = services.opportunity_create(
                    by=request.user,
                    owner=owner,
                    customer=fields.pop("customer"),
                    process=fields.pop("process"),
                    stage=fields.pop("stage"),
                    probability=fields.pop("probability"),
                    title=fields.pop("title"),
                    contacts=fields.pop("contacts", []),
                    source=fields.pop("source") or "",
                    **fields,
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, DEAL_CREATED % {"title": deal.title})
                return HttpResponseRedirect(deal.get_absolute_url())
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return render(
            self.request,
            "projects/opportunity_form.html",
            {"form": form, "page_title": gettext("New deal"), "creating": True},
            status=status,
        )


class OpportunityUpdateView(View):
    """Edit a deal's details (the stage moves on the deal page)."""

    viewset = None
    model = Opportunity

    def dispatch(self, request, *args, **kwargs):
        self.deal = selectors.access_opportunity(user=request.user, pk=kwargs["pk"])
        if not request.user.has_perm("projects.change_opportunity"):
            raise PermissionDenied
        if not deal_rights(request.user, self.deal).act:  # seen through the team only
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _form(self, data=None):
        return OpportunityUpdateForm(
            data,
            instance=self.deal,
            contacts=_contacts_of(self.request.user, self.deal.customer_id),
        )

    def get(self, request, pk):
        return self._render(self._form())

    def post(self, request, pk):
        form = self._form(request.POST)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            fields["source"] = fields.get("source") or ""
            try:
                deal = services.opportunity_update(opportunity=self.deal, by=request.user, **fields)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, DEAL_SAVED % {"title": deal.title})
                return HttpResponseRedirect(deal.get_absolute_url())
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return render(
            self.request,
            "projects/opportunity_form.html",
            {"form": form, "deal": self.deal, "page_title": gettext("Edit deal")},
            status=status,
        )


class CustomerDealsView(View):
    """The deals of one customer that the user sees: the customer page loads
    it into its panel (a Turbo frame), so the customer page itself reads
    nothing more; opened directly it is a page of its own."""

    model = Customer

    def get(self, request, pk):
        customer = access_customer(user=request.user, pk=pk)
        rows = list(
            selectors.customer_deals(user=request.user, customer=customer)[
                : selectors.CUSTOMER_DEALS_SHOWN + 1
            ]
        )
        return render(
            request,
            "projects/customer_deals.html",
            {
                "customer": customer,
                "deals": rows[: selectors.CUSTOMER_DEALS_SHOWN],
                "more": len(rows) > selectors.CUSTOMER_DEALS_SHOWN,
                "can_add": request.user.has_perm("projects.add_opportunity")
                and not customer.is_archived,
                "list_url": reverse("projects:opportunity:index"),
                "page_title": customer.name,
            },
        )
