"""Quote pages (QUO-2, QUO-3) and the approval inbox (WF-2).

Reads go through ``projects.quotes.selectors`` (scoped, 404 outside the
scope); writes through the services of ``projects.quotes.services``. A refused action
is answered with the service's message and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from approvals.selectors import chain_with_names
from approvals.services import ApprovalConflict, Decision, may_decide
from approvals.views import ApprovalDecisionView
from crm.paging import page_number
from crm.scope import access_object
from customers.selectors import access_customer
from projects.models import Opportunity, Quote, QuoteStatus, Stage
from projects.quotes import selectors
from projects.quotes import services as quotes
from projects.quotes.forms import (
    QuoteForm,
    QuoteLineFormSet,
)
from projects.quotes.services import SET_LINE_PRICE

PAGE_SIZE = 25

QUOTE_CREATED = _("Quote %(quote)s created.")
QUOTE_SAVED = _("Quote %(quote)s saved.")
QUOTE_SUBMITTED = _("Quote %(quote)s submitted for approval.")
QUOTE_AUTO_APPROVED = _("No approval rule applies: quote %(quote)s is approved.")
QUOTE_WITHDRAWN = _("Quote %(quote)s withdrawn; it is a draft again.")
QUOTE_REVISED = _("Version %(version)s of quote %(number)s created as a draft.")
DECIDED_APPROVED = _("You approved quote %(quote)s.")
DECIDED_REJECTED = _("You rejected quote %(quote)s; it went back to its owner.")


def _errors(exc: ValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


def listed_customer(request):
    """The customer a document list is narrowed to (``?customer=<pk>``, as
    the customer page's cards link), 404 outside the user's scope."""
    value = request.GET.get("customer", "")
    if not value.isdigit():
        return None
    return access_customer(user=request.user, pk=int(value))


class QuoteListView(TemplateView):
    """Quotes in the user's scope, newest first, with a status filter."""

    template_name = "projects/quotes/quote_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        queryset = selectors.quotes_visible_to(self.request.user).order_by("-created_at", "-id")
        if status in QuoteStatus.values:
            queryset = queryset.filter(status=status)
        customer = listed_customer(self.request)
        if customer is not None:
            queryset = queryset.filter(customer=customer)
        if self.request.GET.get("mine"):
            queryset = queryset.filter(
                Q(owner=self.request.user) | Q(submitted_by=self.request.user)
            )
        page = page_number(self.request.GET.get("page"))
        rows = list(queryset[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        context.update(
            page_title=gettext("Quotes"),
            quotes=rows[:PAGE_SIZE],
            page=page,
            has_next=len(rows) > PAGE_SIZE,
            statuses=QuoteStatus.choices,
            status=status,
            customer=customer,
        )
        return context


CUSTOMER_QUOTES_SHOWN = 10


class CustomerQuotesView(TemplateView):
    """The quotes of one customer that the user sees (the customer page's
    Turbo frame; opened directly it is a page of its own)."""

    template_name = "projects/quotes/customer_quotes.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer = access_customer(user=self.request.user, pk=kwargs["pk"])
        rows = list(
            selectors.quotes_visible_to(self.request.user)
            .filter(customer=customer)
            .order_by("-created_at", "-id")[: CUSTOMER_QUOTES_SHOWN + 1]
        )
        context.update(
            customer=customer,
            quotes=rows[:CUSTOMER_QUOTES_SHOWN],
            more=len(rows) > CUSTOMER_QUOTES_SHOWN,
            page_title=customer.name,
        )
        return context


class QuoteDetailView(TemplateView):
    template_name = "projects/quotes/quote_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        quote = selectors.access_quote(user=user, pk=kwargs["pk"])
        task = selectors.open_task(quote) if quote.status == QuoteStatus.SUBMITTED else None
        decisions = selectors.quote_decisions(quote)
        context.update(
            page_title=str(quote),
            quote=quote,
            lines=selectors.quote_lines(quote),
            versions=selectors.quote_versions(quote, user=user),
            chain=chain_with_names(quote.approval_chain),
            decisions=decisions,
            task=task,
            task_url=(
                task.flow_task.reverse("index", args=[task.process_id, task.pk]) if task else ""
            ),
            can_decide=bool(task) and quote.submitted_by_id != user.pk and may_decide(user, task),
            can_change=user.has_perm("projects.change_quote"),
            can_withdraw=(
                quote.status == QuoteStatus.SUBMITTED
                and user.pk in (quote.submitted_by_id, quote.owner_id)
                and not any(
                    d.kind in ("approved", "rejected") and d.at >= quote.submitted_at
                    for d in decisions
                )
            ),
            has_revision=quote.status == QuoteStatus.SUPERSEDED,
        )
        return context


class QuotePrintView(TemplateView):
    """A clean, script-free page for the browser's print / save as PDF."""

    template_name = "projects/quotes/quote_print.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        quote = selectors.access_quote(user=self.request.user, pk=kwargs["pk"])
        lines = selectors.quote_lines(quote)
        context.update(
            quote=quote,
            lines=[{"line": line, "tax": quotes.line_tax(line)} for line in lines],
        )
        return context


class _QuoteFormView(View):
    template_name = "projects/quotes/quote_form.html"

    def render_form(
        self, request, *, form, formset, opportunity, quote=None, errors=(), status=200
    ):
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "formset": formset,
                "opportunity": opportunity,
                "quote": quote,
                "errors": errors,
                "page_title": gettext("Edit quote") if quote else gettext("New quote"),
            },
            status=status,
        )


class QuoteCreateView(_QuoteFormView):
    """A draft quote for a deal the user sees (``?opportunity=<pk>``)."""

    def _deal(self, request) -> Opportunity:
        deal = access_object(
            Opportunity.objects.select_related("customer"),
            user=request.user,
            pk=request.GET.get("opportunity") or request.POST.get("opportunity"),
        )
        if deal.status not in (Stage.Kind.OPEN, Stage.Kind.WON):
            raise PermissionDenied(quotes.CLOSED_DEAL)
        return deal

    def get(self, request, *args, **kwargs):
        if not request.user.has_perm("projects.add_quote"):
            raise PermissionDenied(quotes.CANNOT_CHANGE)
        deal = self._deal(request)
        return self.render_form(
            request,
            form=QuoteForm(),
            formset=QuoteLineFormSet(prefix="lines", form_kwargs=_line_form_kwargs(request)),
            opportunity=deal,
        )

    def post(self, request, *args, **kwargs):
        deal = self._deal(request)
        form, formset = (
            QuoteForm(request.POST),
            QuoteLineFormSet(request.POST, prefix="lines", form_kwargs=_line_form_kwargs(request)),
        )
        if form.is_valid() and formset.is_valid():
            lines = [
                f.line()
                for f in formset.forms
                if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            try:
                quote = quotes.quote_create(
                    opportunity=deal,
                    by=request.user,
                    lines=lines,
                    valid_until=form.cleaned_data["valid_until"],
                    terms=form.cleaned_data["terms"],
                )
            except ValidationError as exc:
                return self.render_form(
                    request, form=form, formset=formset, opportunity=deal, errors=_errors(exc)
                )
            messages.success(request, QUOTE_CREATED % {"quote": quote})
            return HttpResponseRedirect(quote.get_absolute_url())
        return self.render_form(request, form=form, formset=formset, opportunity=deal)


class QuoteUpdateView(_QuoteFormView):
    """Edit a draft (its validity, terms and all its lines)."""

    def _quote(self, request, pk) -> Quote:
        quote = selectors.access_quote(user=request.user, pk=pk)
        if not request.user.has_perm("projects.change_quote"):
            raise PermissionDenied(quotes.CANNOT_CHANGE)
        return quote

    def get(self, request, pk):
        quote = self._quote(request, pk)
        if quote.status != QuoteStatus.DRAFT:
            messages.error(request, quotes.ONLY_DRAFTS)
            return HttpResponseRedirect(quote.get_absolute_url())
        lines = selectors.quote_lines(quote)
        formset = QuoteLineFormSet(
            prefix="lines",
            form_kwargs=_line_form_kwargs(request),
            initial=[
                {
                    "product": line.product,
                    "quantity": line.quantity,
                    "discount": line.discount,
                    "list_price": line.list_price,
                    "description": line.description,
                }
                for line in lines
            ],
        )
        form = QuoteForm(initial={"valid_until": quote.valid_until, "terms": quote.terms})
        return self.render_form(
            request, form=form, formset=formset, opportunity=quote.opportunity, quote=quote
        )

    def post(self, request, pk):
        quote = self._quote(request, pk)
        form, formset = (
            QuoteForm(request.POST),
            QuoteLineFormSet(request.POST, prefix="lines", form_kwargs=_line_form_kwargs(request)),
        )
        if form.is_valid() and formset.is_valid():
            lines = [
                f.line()
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            try:
                quote = quotes.quote_update(
                    quote=quote, by=request.user, lines=lines, **form.cleaned_data
                )
            except ValidationError as exc:
                return self.render_form(
                    request,
                    form=form,
                    formset=formset,
                    opportunity=quote.opportunity,
                    quote=quote,
                    errors=_errors(exc),
                )
            messages.success(request, QUOTE_SAVED % {"quote": quote})
            return HttpResponseRedirect(quote.get_absolute_url())
        return self.render_form(
            request, form=form, formset=formset, opportunity=quote.opportunity, quote=quote
        )


class _QuoteActionView(View):
    """POST-only buttons of the quote page; refusals come back as messages."""

    def action(self, request, quote: Quote) -> Quote:  # pragma: no cover - abstract
        raise NotImplementedError

    def get(self, request, pk):
        quote = selectors.access_quote(user=request.user, pk=pk)
        return HttpResponseRedirect(quote.get_absolute_url())

    def post(self, request, pk):
        quote = selectors.access_quote(user=request.user, pk=pk)
        try:
            result = self.action(request, quote)
        except (ValidationError, PermissionDenied, ApprovalConflict) as exc:
            for message in _errors(exc) if isinstance(exc, ValidationError) else [str(exc)]:
                messages.error(request, message)
            return HttpResponseRedirect(quote.get_absolute_url())
        return HttpResponseRedirect(result.get_absolute_url())


class QuoteSubmitView(_QuoteActionView):
    def action(self, request, quote):
        quote = quotes.quote_submit(quote=quote, by=request.user)
        if quote.status == QuoteStatus.APPROVED:
            messages.success(request, QUOTE_AUTO_APPROVED % {"quote": quote})
        else:
            messages.success(request, QUOTE_SUBMITTED % {"quote": quote})
        return quote


class QuoteWithdrawView(_QuoteActionView):
    def action(self, request, quote):
        quote = quotes.quote_withdraw(quote=quote, by=request.user)
        messages.success(request, QUOTE_WITHDRAWN % {"quote": quote})
        return quote


QUOTE_SENT = _("Quote %(quote)s marked as sent to the customer.")


class QuoteMarkSentView(_QuoteActionView):
    def action(self, request, quote):
        quote = quotes.quote_mark_sent(quote=quote, by=request.user)
        messages.success(request, QUOTE_SENT % {"quote": quote})
        return quote


class QuoteReviseView(_QuoteActionView):
    def action(self, request, quote):
        revision = quotes.quote_revise(quote=quote, by=request.user)
        messages.success(
            request, QUOTE_REVISED % {"version": revision.version, "number": revision.number}
        )
        return revision


def _line_form_kwargs(request) -> dict:
    return {"may_set_price": request.user.has_perm(SET_LINE_PRICE)}


class QuoteDecisionView(ApprovalDecisionView):
    """The page of one approval step: the quote, its chain and history, and
    the approve / reject form for whoever may decide it."""

    document_model = Quote
    template_name = "projects/quoteapproval/task.html"
    success_url_name = "quotes:inbox:index"

    def document_for(self, task):
        return selectors.access_quote_for_task(process=task.process)

    def document_context(self, request, task, quote) -> dict:
        return {
            "page_title": gettext("Approve quote %(quote)s") % {"quote": quote},
            "quote": quote,
            "lines": selectors.quote_lines(quote),
            "chain": chain_with_names(quote.approval_chain),
            "decisions": selectors.quote_decisions(quote),
            "can_see_quote": Quote.objects.visible_to(request.user).filter(pk=quote.pk).exists(),
        }

    def success_message(self, decision, quote) -> str:
        message = DECIDED_APPROVED if decision == Decision.APPROVE else DECIDED_REJECTED
        return message % {"quote": quote}


class _TaskListView(TemplateView):
    template_name = "projects/quotes/task_list.html"
    title = ""
    kind = ""

    def tasks(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tasks = list(self.tasks()[:100])
        for task in tasks:
            task.url = task.flow_task.reverse("index", args=[task.process_id, task.pk])
        context.update(page_title=str(self.title), title=self.title, tasks=tasks, kind=self.kind)
        return context


class InboxView(_TaskListView):
    """WF-2: the approval steps waiting for the user."""

    title = _("My approvals")
    kind = "inbox"

    def tasks(self):
        return selectors.inbox_tasks(self.request.user)


class QueueView(_TaskListView):
    title = _("Shared approvals")
    kind = "queue"

    def tasks(self):
        return selectors.queue_tasks(self.request.user)


class ArchiveView(_TaskListView):
    title = _("Decided and submitted")
    kind = "archive"

    def tasks(self):
        return selectors.archive_tasks(self.request.user)
