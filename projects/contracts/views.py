"""Contract pages (CON-1, CON-2), the contract approval step and the
receivables ageing.

Reads go through ``projects.contracts.selectors`` (scoped, 404 outside the
scope); writes through ``projects.contracts.services``. A refused action is answered with the
service's message and changes nothing.
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
from django.views.generic import TemplateView

from approvals.views import ApprovalDecisionView
from crm.history import history_rows
from crm.paging import page_number
from crm.scope import access_object
from projects.contracts import selectors
from projects.contracts import services as contracts
from projects.contracts.forms import (
    ExecutionRecordForm,
    InstalmentFormSet,
    InstalmentPaymentForm,
    MilestoneFormSet,
    SignForm,
)
from projects.models import Contract, ContractStatus, Opportunity, Quote
from projects.orders.views import PAGE_SIZE, error_messages, step_link
from projects.quotes.views import listed_customer

CONTRACT_SUBMITTED = _("Contract %(contract)s submitted for approval.")
CONTRACT_AUTO_APPROVED = _("No approval rule applies: contract %(contract)s is approved.")
PLAN_SAVED = _("Execution plan of %(contract)s saved.")
CONTRACT_SIGNED = _("Contract %(contract)s signed.")
RECORD_ADDED = _("Execution record added.")
PAYMENT_RECORDED = _("Payment recorded.")
DECIDED = _("Your decision on contract %(contract)s is recorded.")


class ContractListView(TemplateView):
    template_name = "projects/orders/contract_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        queryset = selectors.contracts_visible_to(self.request.user).order_by("-created_at", "-id")
        if status in ContractStatus.values:
            queryset = queryset.filter(status=status)
        customer = listed_customer(self.request)
        if customer is not None:
            queryset = queryset.filter(customer=customer)
        page = page_number(self.request.GET.get("page"))
        rows = list(queryset[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        context.update(
            page_title=gettext("Contracts"),
            contracts=rows[:PAGE_SIZE],
            page=page,
            has_next=len(rows) > PAGE_SIZE,
            statuses=ContractStatus.choices,
            status=status,
            customer=customer,
        )
        return context


class ContractDetailView(TemplateView):
    template_name = "projects/orders/contract_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        contract = selectors.access_contract(user=user, pk=kwargs["pk"])
        task = (
            selectors.open_contract_task(contract)
            if contract.status == ContractStatus.SUBMITTED
            else None
        )
        plan = selectors.contract_plan(contract)
        can_change = user.has_perm("projects.change_contract")
        context.update(
            page_title=str(contract),
            contract=contract,
            task=task,
            task_url=step_link(task),
            steps=selectors.contract_steps(contract),
            history=history_rows(contract, limit=10),
            can_change=can_change,
            can_plan=can_change
            and contract.status in (ContractStatus.DRAFT, ContractStatus.APPROVED),
            can_submit=can_change and contract.status == ContractStatus.DRAFT,
            can_sign=can_change and contract.status == ContractStatus.APPROVED,
            can_record_payment=user.has_perm("projects.record_payment_contract")
            and contract.status == ContractStatus.SIGNED,
            sign_form=SignForm(),
            record_form=ExecutionRecordForm(contract=contract) if can_change else None,
            payment_form=InstalmentPaymentForm(contract=contract),
            **plan,
        )
        return context


class ContractPlanView(View):
    """The execution plan: milestones and instalments that must add up to
    the contract amount (refused otherwise, nothing saved)."""

    template_name = "projects/orders/contract_plan.html"

    def _contract(self, request, pk):
        contract = selectors.access_contract(user=request.user, pk=pk)
        if not request.user.has_perm("projects.change_contract"):
            raise PermissionDenied(contracts.NOT_ALLOWED)
        return contract

    def render_form(self, request, contract, milestones, instalments, errors=(), status=200):
        return render(
            request,
            self.template_name,
            {
                "contract": contract,
                "milestones": milestones,
                "instalments": instalments,
                "errors": errors,
                "page_title": gettext("Execution plan of %(contract)s") % {"contract": contract},
            },
            status=status,
        )

    def get(self, request, pk):
        contract = self._contract(request, pk)
        plan = selectors.contract_plan(contract)
        milestones = MilestoneFormSet(
            prefix="milestones",
            initial=[
                {"kind": m.kind, "name": m.name, "due_on": m.due_on} for m in plan["milestones"]
            ],
        )
        instalments = InstalmentFormSet(
            prefix="instalments",
            initial=[{"due_on": i.due_on, "amount": i.amount} for i in plan["instalments"]],
        )
        return self.render_form(request, contract, milestones, instalments)

    def post(self, request, pk):
        contract = self._contract(request, pk)
        milestones = MilestoneFormSet(request.POST, prefix="milestones")
        instalments = InstalmentFormSet(request.POST, prefix="instalments")
        if not (milestones.is_valid() and instalments.is_valid()):
            return self.render_form(request, contract, milestones, instalments, status=400)

        def rows(formset):
            return [
                f.cleaned_data
                for f in formset.forms
                if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]

        try:
            contracts.contract_set_plan(
                contract=contract,
                by=request.user,
                milestones=rows(milestones),
                instalments=rows(instalments),
            )
        except (ValidationError, PermissionDenied) as exc:
            return self.render_form(
                request, contract, milestones, instalments, error_messages(exc), status=400
            )
        messages.success(request, PLAN_SAVED % {"contract": contract})
        return HttpResponseRedirect(contract.get_absolute_url())


class _ContractActionView(View):
    """POST-only buttons and small forms of the contract page."""

    def get(self, request, pk):
        contract = selectors.access_contract(user=request.user, pk=pk)
        return HttpResponseRedirect(contract.get_absolute_url())

    def action(self, request, contract):  # pragma: no cover - abstract
        raise NotImplementedError

    def post(self, request, pk):
        contract = selectors.access_contract(user=request.user, pk=pk)
        try:
            self.action(request, contract)
        except (ValidationError, PermissionDenied) as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        return HttpResponseRedirect(contract.get_absolute_url())


def _form_errors(form) -> ValidationError:
    return ValidationError(
        [
            f"{form[name].label}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
            for name, errors in form.errors.items()
        ]
    )


class ContractSubmitView(_ContractActionView):
    def action(self, request, contract):
        contract = contracts.contract_submit(contract=contract, by=request.user)
        message = (
            CONTRACT_AUTO_APPROVED
            if contract.status == ContractStatus.APPROVED
            else CONTRACT_SUBMITTED
        )
        messages.success(request, message % {"contract": contract})


class ContractSignView(_ContractActionView):
    def action(self, request, contract):
        form = SignForm(request.POST)
        if not form.is_valid():
            raise _form_errors(form)
        contracts.contract_sign(
            contract=contract, by=request.user, signed_on=form.cleaned_data["signed_on"]
        )
        messages.success(request, CONTRACT_SIGNED % {"contract": contract})


class ExecutionRecordView(_ContractActionView):
    def action(self, request, contract):
        form = ExecutionRecordForm(request.POST, contract=contract)
        if not form.is_valid():
            raise _form_errors(form)
        contracts.execution_record_add(contract=contract, by=request.user, **form.cleaned_data)
        messages.success(request, RECORD_ADDED)


class InstalmentPaymentView(_ContractActionView):
    def action(self, request, contract):
        form = InstalmentPaymentForm(request.POST, contract=contract)
        if not form.is_valid():
            raise _form_errors(form)
        contracts.instalment_receive(
            instalment=form.cleaned_data["instalment"],
            by=request.user,
            amount=form.cleaned_data["amount"],
        )
        messages.success(request, PAYMENT_RECORDED)


class ContractDecisionView(ApprovalDecisionView):
    """One contract approval step: the contract, its plan and chain, and the
    approve / reject form for whoever may decide it."""

    document_model = Contract
    template_name = "projects/contractapproval/task.html"
    success_url_name = "orders:tasks:index"
    invalid_status = 400

    def document_for(self, task):
        return selectors.contract_for_task(task)

    def document_context(self, request, task, contract) -> dict:
        return {
            "page_title": gettext("Approve contract %(contract)s") % {"contract": contract},
            "contract": contract,
            "can_see_contract": Contract.objects.visible_to(request.user)
            .filter(pk=contract.pk)
            .exists(),
            **selectors.contract_plan(contract),
        }

    def success_message(self, decision, contract) -> str:
        return DECIDED % {"contract": contract}


class ReceivablesView(TemplateView):
    """CON-2: what is outstanding on signed contracts in the scope, aged."""

    template_name = "projects/orders/receivables.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            page_title=gettext("Receivables ageing"),
            ageing=contracts.receivables_ageing(user=self.request.user),
        )
        return context


CONTRACT_CREATED = _("Contract %(contract)s created; plan its milestones and instalments.")


class ContractCreateView(View):
    """A draft contract from a won deal (``opportunity``) or an approved
    quote (``quote``), POST only; then on to its execution plan."""

    def post(self, request):
        quote = opportunity = None
        if request.POST.get("quote"):
            quote = access_object(Quote.objects.all(), user=request.user, pk=request.POST["quote"])
            back = quote.get_absolute_url()
        else:
            opportunity = access_object(
                Opportunity.objects.all(), user=request.user, pk=request.POST.get("opportunity")
            )
            back = opportunity.get_absolute_url()
        title = (request.POST.get("title") or "").strip()
        if not title:
            title = str(quote.opportunity.title if quote else opportunity.title)
        try:
            contract = contracts.contract_create(
                by=request.user, title=title[:200], opportunity=opportunity, quote=quote
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in error_messages(exc):
                messages.error(request, message)
            return HttpResponseRedirect(back)
        messages.success(request, CONTRACT_CREATED % {"contract": contract.number})
        return HttpResponseRedirect(reverse("orders:contract:plan", kwargs={"pk": contract.pk}))
