"""Competitor pages (CMP-1..4): the profiles, a profile with its products and
the prices observed (within the reader's scope), the competition on a deal
(the deal page's Turbo frame), competitive orders and the analysis with its
xlsx export.

Reads go through ``competitors.selectors`` (scoped, 404 outside the scope);
writes through ``competitors.services``. A refused write changes nothing and
answers with the service's message.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language, gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from competitors import selectors, services
from competitors.forms import CompetitiveOrderForm, DealCompetitorForm, PriceObservationForm
from competitors.models import DealCompetitor
from crm.models import Branch
from crm.paging import page_number
from crm.spreadsheets import neutralise
from customers.models import Industry
from customers.selectors import access_customer
from projects.deals.permissions import deal_rights
from projects.models import Product

PAGE_SIZE = 25
NOT_ALLOWED = _("You are not allowed to do this.")


class Permitted(View):
    """For the holders of ``permission`` only (403); records still by scope."""

    permission = ""

    def dispatch(self, request, *args, **kwargs):
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied(NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)


def _errors(exc: ValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


# --- Profiles (CMP-1) ---------------------------------------------------------


class CompetitorListView(Permitted):
    permission = "competitors.view_competitor"

    def get(self, request):
        page = page_number(request.GET.get("page"))
        rows = list(selectors.competitor_list()[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        return render(
            request,
            "competitors/competitor_list.html",
            {
                "page_title": gettext("Competitors"),
                "competitors": rows[:PAGE_SIZE],
                "page": page,
                "has_next": len(rows) > PAGE_SIZE,
            },
        )


class CompetitorDetailView(Permitted):
    permission = "competitors.view_competitor"

    def _render(self, request, competitor, form, status=200):
        return render(
            request,
            "competitors/competitor_detail.html",
            {
                "page_title": competitor.name,
                "competitor": competitor,
                "products": list(competitor.products.all()),
                "prices": list(
                    selectors.price_observations(user=request.user, competitor=competitor)
                ),
                "form": form,
                "can_add_price": request.user.has_perm("competitors.add_priceobservation"),
            },
            status=status,
        )

    def get(self, request, pk):
        competitor = selectors.access_competitor(pk=pk)
        return self._render(request, competitor, PriceObservationForm(competitor=competitor))

    def post(self, request, pk):
        if not request.user.has_perm("competitors.add_priceobservation"):
            raise PermissionDenied(NOT_ALLOWED)
        competitor = selectors.access_competitor(pk=pk)
        form = PriceObservationForm(request.POST, competitor=competitor)
        if form.is_valid():
            try:
                services.price_observe(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for message in _errors(exc):
                    form.add_error(None, message)
            else:
                messages.success(request, gettext("Price recorded."))
                return HttpResponseRedirect(reverse("competitors:detail", kwargs={"pk": pk}))
        return self._render(request, competitor, form, status=400)


# --- Competition on a deal (CMP-2, OPP-9) ----------------------------------


class DealCompetitionView(Permitted):
    """The deal page's frame: the competitors on the deal and, for whoever
    may work the deal, the forms to add, change and remove them."""

    permission = "competitors.view_dealcompetitor"

    def _render(self, request, deal, *, form=None, errors=(), status=200):
        can_change = deal_rights(request.user, deal).act
        entries = selectors.deal_competition(deal=deal)
        return render(
            request,
            "competitors/deal_competition.html",
            {
                "page_title": deal.title,
                "deal": deal,
                "entries": [
                    (entry, DealCompetitorForm(instance=entry, prefix=f"e{entry.pk}"))
                    for entry in entries
                ]
                if can_change
                else [(entry, None) for entry in entries],
                "form": form or (DealCompetitorForm() if can_change else None),
                "can_change": can_change,
                "is_lost": deal.status == "lost",
                "errors": errors,
            },
            status=status,
        )

    def get(self, request, pk):
        deal = selectors.access_deal(user=request.user, pk=pk)
        return self._render(request, deal)

    def post(self, request, pk):
        deal = selectors.access_deal(user=request.user, pk=pk)
        if not deal_rights(request.user, deal).act:
            raise PermissionDenied(services.CANNOT_CHANGE_DEAL)
        entry_id = request.POST.get("entry")
        try:
            if entry_id:
                entry = get_object_or_404(DealCompetitor, pk=entry_id, opportunity_id=deal.pk)
                if request.POST.get("remove"):
                    services.deal_competitor_remove(entry=entry, by=request.user)
                else:
                    form = DealCompetitorForm(request.POST, instance=entry, prefix=f"e{entry.pk}")
                    if not form.is_valid():
                        return self._render(request, deal, errors=_form_errors(form), status=400)
                    services.deal_competitor_update(
                        entry=entry, by=request.user, **form.cleaned_data
                    )
            else:
                form = DealCompetitorForm(request.POST)
                if not form.is_valid():
                    return self._render(request, deal, form=form, status=400)
                data = dict(form.cleaned_data)
                services.deal_competitor_add(
                    opportunity=deal, competitor=data.pop("competitor"), by=request.user, **data
                )
        except ValidationError as exc:
            return self._render(request, deal, errors=_errors(exc), status=400)
        return HttpResponseRedirect(reverse("competitors:deal", kwargs={"pk": deal.pk}))


def _form_errors(form) -> list[str]:
    return [str(message) for messages_ in form.errors.values() for message in messages_]


# --- Competitive orders (CMP-3) -------------------------------------------------


class CompetitiveOrderListView(Permitted):
    permission = "competitors.view_competitiveorder"

    def _render(self, request, form, status=200):
        page = page_number(request.GET.get("page"))
        queryset = selectors.competitive_orders(user=request.user)
        rows = list(queryset[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        return render(
            request,
            "competitors/order_list.html",
            {
                "page_title": gettext("Competitive orders"),
                "orders": rows[:PAGE_SIZE],
                "page": page,
                "has_next": len(rows) > PAGE_SIZE,
                "form": form if request.user.has_perm("competitors.add_competitiveorder") else None,
            },
            status=status,
        )

    def get(self, request):
        initial = {}
        customer = None
        if request.GET.get("customer", "").isdigit():
            customer = access_customer(user=request.user, pk=int(request.GET["customer"]))
            initial["customer_id"] = customer.pk
        return self._render(request, CompetitiveOrderForm(initial=initial, customer=customer))

    def post(self, request):
        if not request.user.has_perm("competitors.add_competitiveorder"):
            raise PermissionDenied(NOT_ALLOWED)
        form = CompetitiveOrderForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.competitive_order_create(
                    by=request.user, customer=data.pop("customer_id"), **data
                )
            except ValidationError as exc:
                for message in _errors(exc):
                    form.add_error(None, message)
            else:
                messages.success(request, gettext("Competitive order recorded."))
                return HttpResponseRedirect(reverse("competitors:orders"))
        return self._render(request, form, status=400)


class CustomerOrdersView(Permitted):
    """A customer's competitive orders, for the customer page's Turbo frame:
    whoever sees the customer sees them (404 otherwise)."""

    permission = "competitors.view_competitiveorder"
    shown = 10

    def get(self, request, pk):
        customer = access_customer(user=request.user, pk=pk)
        rows = list(
            selectors.competitive_orders(user=request.user).filter(customer_id=customer.pk)[
                : self.shown + 1
            ]
        )
        return render(
            request,
            "competitors/customer_orders.html",
            {
                "page_title": customer.name,
                "customer": customer,
                "orders": rows[: self.shown],
                "more": len(rows) > self.shown,
                "can_add": request.user.has_perm("competitors.add_competitiveorder"),
            },
        )


# --- Analysis (CMP-4) -------------------------------------------------------------


def _filters(request) -> selectors.AnalysisFilter:
    def day(name):
        try:
            return date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return None

    def number(name):
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    return selectors.AnalysisFilter(
        date_from=day("from"),
        date_to=day("to"),
        branch_id=number("branch"),
        product_id=number("product"),
        industry=request.GET.get("industry", "")
        if request.GET.get("industry") in Industry.values
        else "",
        band=request.GET.get("band", "")
        if request.GET.get("band") in selectors.AMOUNT_BANDS
        else "",
    )


def _reason(row) -> str:
    name = row["opportunity__loss_reason__name"]
    if name is None:
        return gettext("No reason given")
    english = row["opportunity__loss_reason__name_en"]
    return english if english and (get_language() or "").startswith("en") else name


class AnalysisView(Permitted):
    permission = "competitors.view_dealcompetitor"

    def get(self, request):
        filters = _filters(request)
        result = selectors.competitor_analysis(user=request.user, filters=filters)
        if request.GET.get("format") == "xlsx":
            return _xlsx(result)
        return render(
            request,
            "competitors/analysis.html",
            {
                "page_title": gettext("Competition analysis"),
                "result": result,
                "reasons": [
                    (row["competitor__name"], _reason(row), row["count"])
                    for row in result["reasons"]
                ],
                "filters": filters,
                "branches": list(Branch.objects.order_by("code")),
                "products": list(Product.objects.filter(is_active=True).order_by("code")),
                "industries": Industry.choices,
                "bands": [
                    (key, label) for key, (label, _low, _high) in selectors.AMOUNT_BANDS.items()
                ],
                "query": request.GET.urlencode(),
            },
        )


def _xlsx(result) -> HttpResponse:
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Competitors"))
    sheet.append(
        [
            gettext("Competitor"),
            gettext("Deals"),
            gettext("Share of our deals"),
            gettext("Won"),
            pgettext("funnel", "Lost"),
            gettext("Lost to them"),
            gettext("Our win rate"),
        ]
    )
    for row in result["competitors"]:
        sheet.append(
            [
                neutralise(row.name),
                row.deals,
                row.share,
                row.won,
                row.lost,
                row.lost_to_them,
                row.win_rate,
            ]
        )
    reasons = workbook.create_sheet(gettext("Loss reasons"))
    reasons.append([gettext("Competitor"), gettext("Loss reason"), gettext("Deals")])
    for row in result["reasons"]:
        reasons.append(
            [neutralise(row["competitor__name"]), neutralise(_reason(row)), row["count"]]
        )
    prices = workbook.create_sheet(gettext("Prices"))
    prices.append(
        [
            gettext("Competitor"),
            gettext("Product"),
            gettext("Month"),
            gettext("Average price"),
            gettext("Lowest"),
            gettext("Highest"),
            gettext("Observations"),
        ]
    )
    for row in result["prices"]:
        prices.append(
            [
                neutralise(row["product__competitor__name"]),
                neutralise(row["product__name"]),
                row["month"].strftime("%Y-%m"),
                row["average"],
                row["low"],
                row["high"],
                row["count"],
            ]
        )
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="competition.xlsx"'
    return response
