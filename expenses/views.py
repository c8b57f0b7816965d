"""Expense claim pages (EXP-2): my claims, all claims in scope, a claim
with its history and approval chain, create / edit / submit, and the
approval inbox and decision page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from approvals import selectors as approvals
from approvals.flows import task_url
from approvals.views import ApprovalDecisionView
from crm.charts import chart_scripts
from crm.history import history_rows
from crm.paging import page_number
from crm.scope import access_object
from customers.models import Customer
from expenses import budgets, selectors, services
from expenses.forms import BudgetAmountForm, BudgetForm, ClaimForm
from expenses.models import Budget, ClaimStatus, ExpenseClaim, PeriodKind
from projects.models import Opportunity

PAGE_SIZE = 25
CREATED = _("Expense claim %(claim)s saved as a draft.")
SAVED = _("Expense claim %(claim)s saved.")
SUBMITTED = _("Expense claim %(claim)s submitted for approval.")
AUTO_APPROVED = _("Expense claim %(claim)s approved: no approval rule applies.")
DECIDED = _("Your decision on expense claim %(claim)s is recorded.")


class Permitted(View):
    """A page for holders of ``permission`` (403 for others); which claims
    it shows is still decided by the scope."""

    permission = "expenses.view_expenseclaim"

    def dispatch(self, request, *args, **kwargs):
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied(services.NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)


def _errors(exc) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(message) for message in exc.messages]
    return [str(exc)]


class ClaimListView(Permitted):
    """Every claim the user sees, filtered on indexed columns."""

    title = _("Expense claims")
    mine = False

    def get(self, request):
        filters = selectors.ClaimFilters.from_query(request.GET, mine=self.mine)
        page = page_number(request.GET.get("page"))
        claims = selectors.claim_list(user=request.user, filters=filters)
        rows = list(claims[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "expenses/claim_list.html",
            {
                "page_title": str(self.title),
                "claims": rows[:PAGE_SIZE],
                "page": page,
                "has_next": len(rows) > PAGE_SIZE,
                "query": query.urlencode(),
                "filters": filters,
                "statuses": ClaimStatus.choices,
                "categories": selectors.categories(),
                "can_add": request.user.has_perm("expenses.add_expenseclaim"),
            },
        )


class MyClaimsView(ClaimListView):
    title = _("My expense claims")
    mine = True


class ClaimDetailView(Permitted):
    def get(self, request, pk):
        claim = selectors.access_claim(user=request.user, pk=pk)
        steps = selectors.claim_steps(claim)
        return render(
            request,
            "expenses/claim_detail.html",
            {
                "page_title": str(claim),
                "claim": claim,
                "chain": approvals.chain_with_names(claim.approval_chain),
                "steps": [step for step in steps if step.flow_task_type == "HUMAN"],
                "history": history_rows(claim),
                "can_edit": claim.owner_id == request.user.pk
                and claim.status == ClaimStatus.DRAFT
                and request.user.has_perm("expenses.change_expenseclaim"),
            },
        )


class ClaimCreateView(Permitted):
    permission = "expenses.add_expenseclaim"

    def render_form(self, request, form, *, claim=None, errors=(), status=200):
        title = (
            gettext("Edit expense claim %(claim)s") % {"claim": claim}
            if claim
            else gettext("New expense claim")
        )
        return render(
            request,
            "expenses/claim_form.html",
            {"page_title": title, "form": form, "claim": claim, "errors": errors},
            status=status,
        )

    def get(self, request):
        initial = {
            key: request.GET[key]
            for key in ("opportunity", "customer", "contact")
            if request.GET.get(key, "").isdigit()
        }
        return self.render_form(request, ClaimForm(initial=initial))

    def post(self, request):
        form = ClaimForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, form, status=400)
        try:
            claim = services.claim_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            return self.render_form(request, form, errors=_errors(exc), status=400)
        messages.success(request, CREATED % {"claim": claim})
        return HttpResponseRedirect(claim.get_absolute_url())


class ClaimEditView(ClaimCreateView):
    permission = "expenses.change_expenseclaim"

    def get(self, request, pk):
        claim = selectors.access_claim(user=request.user, pk=pk)
        return self.render_form(
            request, ClaimForm(initial=ClaimForm.initial_for(claim)), claim=claim
        )

    def post(self, request, pk):
        claim = selectors.access_claim(user=request.user, pk=pk)
        form = ClaimForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, form, claim=claim, status=400)
        try:
            claim = services.claim_update(claim=claim, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            return self.render_form(request, form, claim=claim, errors=_errors(exc), status=400)
        messages.success(request, SAVED % {"claim": claim})
        return HttpResponseRedirect(claim.get_absolute_url())


class ClaimSubmitView(Permitted):
    permission = "expenses.change_expenseclaim"

    def get(self, request, pk):
        """A submission is a POST; the URL opened leads to the claim (404
        outside the scope)."""
        claim = selectors.access_claim(user=request.user, pk=pk)
        return HttpResponseRedirect(claim.get_absolute_url())

    def post(self, request, pk):
        claim = selectors.access_claim(user=request.user, pk=pk)
        try:
            claim = services.claim_submit(claim=claim, by=request.user)
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
            return HttpResponseRedirect(claim.get_absolute_url())
        done = SUBMITTED if claim.status == ClaimStatus.SUBMITTED else AUTO_APPROVED
        messages.success(request, done % {"claim": claim})
        return HttpResponseRedirect(claim.get_absolute_url())


class InboxView(View):
    """The expense approval steps waiting for me."""

    def get(self, request):
        tasks = list(selectors.claim_inbox_tasks(request.user)[:100])
        for task in tasks:
            task.url = task_url(task)
        return render(
            request,
            "expenses/inbox.html",
            {"page_title": gettext("Expense claims to approve"), "tasks": tasks},
        )


class ExpenseDecisionView(ApprovalDecisionView):
    """One expense approval step: the claim, its chain and the decision form
    for whoever may decide it."""

    document_model = ExpenseClaim
    template_name = "expenses/task.html"
    success_url_name = "expenses:inbox:index"
    invalid_status = 400

    def document_for(self, task):
        return selectors.claim_for_task(task)

    def document_context(self, request, task, claim) -> dict:
        return {
            "page_title": gettext("Approve expense claim %(claim)s") % {"claim": claim},
            "claim": claim,
            "chain": approvals.chain_with_names(claim.approval_chain),
            "can_see_claim": ExpenseClaim.objects.visible_to(request.user)
            .filter(pk=claim.pk)
            .exists(),
        }

    def success_message(self, decision, claim) -> str:
        return DECIDED % {"claim": claim}


# --- Budgets and their execution (EXP-1, EXP-3) ------------------------------------------------


class BudgetExecutionView(Permitted):
    """Budget vs submitted vs approved per line, filtered; totals; export."""

    permission = "expenses.view_budget"

    def lines(self, request):
        filters = budgets.ExecutionFilters.from_query(request.GET)
        return filters, budgets.budget_execution(user=request.user, filters=filters)

    def get(self, request):
        filters, lines = self.lines(request)
        rows = list(lines[:500])
        for line in rows:
            line.remaining = line.amount - line.approved
            line.used_percent = int(line.approved * 100 / line.amount) if line.amount else 0
        return render(
            request,
            "expenses/budget_execution.html",
            {
                "page_title": gettext("Budget execution"),
                "lines": rows,
                "totals": budgets.execution_totals(lines),
                "filters": filters,
                "departments": list(budgets.budget_departments(request.user)),
                "categories": selectors.categories(),
                "kinds": PeriodKind.choices,
                "query": request.GET.urlencode(),
                "can_plan": request.user.has_perm("expenses.change_budget"),
            },
        )


class BudgetExportView(BudgetExecutionView):
    def get(self, request):
        _filters, lines = self.lines(request)
        response = HttpResponse(
            budgets.execution_xlsx(lines[:10000]),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="budget-execution.xlsx"'
        return response


class BudgetCreateView(Permitted):
    permission = "expenses.change_budget"

    def render_form(self, request, form, *, errors=(), status=200):
        return render(
            request,
            "expenses/budget_form.html",
            {"page_title": gettext("New budget line"), "form": form, "errors": errors},
            status=status,
        )

    def form(self, request, data=None):
        return BudgetForm(data, departments=budgets.budget_departments(request.user))

    def get(self, request):
        return self.render_form(request, self.form(request))

    def post(self, request):
        form = self.form(request, request.POST)
        if not form.is_valid():
            return self.render_form(request, form, status=400)
        try:
            budgets.budget_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            return self.render_form(request, form, errors=_errors(exc), status=400)
        messages.success(request, gettext("Budget line saved."))
        return HttpResponseRedirect(reverse("expenses:budget:index"))


class BudgetEditView(Permitted):
    """One budget line: its burn-down over the period and its history for
    whoever sees budgets; the amount form for finance."""

    permission = "expenses.view_budget"
    model = Budget  # not a scoped record: its page is 404 outside the user's departments

    def render_form(self, request, budget, form, *, errors=(), status=200):
        return render(
            request,
            "expenses/budget_form.html",
            {
                "page_title": str(budget),
                "budget": budget,
                "form": form if request.user.has_perm("expenses.change_budget") else None,
                "errors": errors,
                "history": history_rows(budget),
                "chart": budgets.burn_down_chart(budget),
                "chart_scripts": chart_scripts(),
            },
            status=status,
        )

    def get(self, request, pk):
        budget = budgets.access_budget(user=request.user, pk=pk)
        form = BudgetAmountForm(initial={"amount": budget.amount, "note": budget.note})
        return self.render_form(request, budget, form)

    def post(self, request, pk):
        budget = budgets.access_budget(user=request.user, pk=pk)
        form = BudgetAmountForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, budget, form, status=400)
        try:
            budgets.budget_update(budget=budget, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            return self.render_form(request, budget, form, errors=_errors(exc), status=400)
        messages.success(request, gettext("Budget line saved."))
        return HttpResponseRedirect(reverse("expenses:budget:index"))


class CostOfSaleView(Permitted):
    """The frame of the deal's or customer's cost-of-sale card: the record
    is read within the scope (404 outside it)."""

    kind = "deal"

    def get(self, request, pk):
        if self.kind == "deal":
            record = access_object(Opportunity.objects.all(), user=request.user, pk=pk)
            link = {"opportunity_id": record.pk}
        else:
            record = access_object(Customer.objects.all(), user=request.user, pk=pk)
            link = {"customer_id": record.pk}
        return render(
            request,
            "expenses/cost_of_sale.html",
            {
                "record": record,
                "frame_id": f"{self.kind}-cost-{record.pk}",
                "can_add": request.user.has_perm("expenses.add_expenseclaim"),
                "add_url": reverse("expenses:claim:add")
                + f"?{'opportunity' if self.kind == 'deal' else 'customer'}={record.pk}",
                **selectors.cost_of_sale(**link),
            },
        )
