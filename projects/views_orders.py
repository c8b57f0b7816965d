"""Order and contract pages (ORD-1, CON-1, CON-2) and their workflow steps.

Reads go through ``projects.selectors_orders`` (scoped, 404 outside the
scope); writes through the services of ``projects.orders``,
``projects.contracts``, ``projects.order_flow`` and ``projects.contract_flow``.
A refused action is answered with the service's message and changes nothing.
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

from crm.history import history_rows
from crm.paging import page_number
from crm.scope import access_object, load_scopes
from projects import contract_flow, contracts, order_flow, orders
from projects import selectors_orders as selectors
from projects.forms_orders import (
    CollectionForm,
    DeliveryForm,
    ExecutionRecordForm,
    InstalmentFormSet,
    InstalmentPaymentForm,
    MilestoneFormSet,
    OrderForm,
    OrderLineFormSet,
    ReviewForm,
    SignForm,
)
from projects.forms_quotes import DecisionForm
from projects.models import Contract, ContractStatus, OrderStatus, Quote, SalesOrder
from projects.quotes import ApprovalConflict
from projects.views_quotes import listed_customer

PAGE_SIZE = 25

ORDER_CREATED = _("Order %(order)s created.")
ORDER_SUBMITTED = _("Order %(order)s submitted for the business review.")
STEP_DONE = _("Order %(order)s: %(step)s done.")
CONTRACT_SUBMITTED = _("Contract %(contract)s submitted for approval.")
CONTRACT_AUTO_APPROVED = _("No approval rule applies: contract %(contract)s is approved.")
PLAN_SAVED = _("Execution plan of %(contract)s saved.")
CONTRACT_SIGNED = _("Contract %(contract)s signed.")
RECORD_ADDED = _("Execution record added.")
PAYMENT_RECORDED = _("Payment recorded.")
DECIDED = _("Your decision on contract %(contract)s is recorded.")


def _errors(exc) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(message) for message in exc.messages]
    return [str(exc)]


def _step_link(task) -> str:
    return task.flow_task.reverse("index", args=[task.process_id, task.pk]) if task else ""


# --- Orders ---------------------------------------------------------------------------


class OrderListView(TemplateView):
    template_name = "projects/orders/order_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        queryset = selectors.orders_visible_to(self.request.user).order_by("-order_date", "-id")
        if status in OrderStatus.values:
            queryset = queryset.filter(status=status)
        customer = listed_customer(self.request)
        if customer is not None:
            queryset = queryset.filter(customer=customer)
        page = page_number(self.request.GET.get("page"))
        rows = list(queryset[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        context.update(
            page_title=gettext("Sales orders"),
            orders=rows[:PAGE_SIZE],
            page=page,
            has_next=len(rows) > PAGE_SIZE,
            statuses=OrderStatus.choices,
            status=status,
            customer=customer,
        )
        return context


class OrderDetailView(TemplateView):
    template_name = "projects/orders/order_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        order = selectors.access_order(user=user, pk=kwargs["pk"])
        task = selectors.open_order_task(order)
        context.update(
            page_title=str(order),
            order=order,
            lines=selectors.order_lines(order),
            deliveries=selectors.order_deliveries(order),
            collections=selectors.order_collections(order),
            task=task,
            task_url=_step_link(task),
            can_act=bool(task) and order.owner_id != user.pk and order_flow.may_act(user, task),
            steps=selectors.order_steps(order),
            history=history_rows(order, limit=10),
            can_submit=order.status == OrderStatus.DRAFT
            and user.has_perm("projects.change_salesorder"),
        )
        return context


class OrderCreateView(View):
    """A draft order: directly (customer among the visible ones, lines), or
    from an approved quote (``?quote=<pk>``, POST only)."""

    template_name = "projects/orders/order_form.html"

    def render_form(self, request, form, formset, errors=()):
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "formset": formset,
                "errors": errors,
                "page_title": gettext("New order"),
            },
        )

    def get(self, request):
        if not request.user.has_perm("projects.add_salesorder"):
            raise PermissionDenied(orders.NOT_ALLOWED)
        initial = {}
        if request.GET.get("customer"):
            initial["customer"] = request.GET["customer"]
        return self.render_form(
            request,
            OrderForm(user=request.user, initial=initial),
            OrderLineFormSet(prefix="lines"),
        )

    def post(self, request):
        if request.POST.get("quote"):
            quote = access_object(Quote.objects.all(), user=request.user, pk=request.POST["quote"])
            try:
                order = orders.order_create(by=request.user, quote=quote)
            except (ValidationError, PermissionDenied) as exc:
                for message in _errors(exc):
                    messages.error(request, message)
                return HttpResponseRedirect(quote.get_absolute_url())
            messages.success(request, ORDER_CREATED % {"order": order})
            return HttpResponseRedirect(order.get_absolute_url())
        form = OrderForm(request.POST, user=request.user)
        formset = OrderLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and formset.is_valid():
            lines = [
                f.line()
                for f in formset.forms
                if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            try:
                order = orders.order_create(by=request.user, lines=lines, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                return self.render_form(request, form, formset, _errors(exc))
            messages.success(request, ORDER_CREATED % {"order": order})
            return HttpResponseRedirect(order.get_absolute_url())
        return self.render_form(request, form, formset)


class OrderSubmitView(View):
    def get(self, request, pk):
        return HttpResponseRedirect(
            selectors.access_order(user=request.user, pk=pk).get_absolute_url()
        )

    def post(self, request, pk):
        order = selectors.access_order(user=request.user, pk=pk)
        try:
            order = order_flow.order_flow_submit(order=order, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            for message in _errors(exc):
                messages.error(request, message)
        else:
            messages.success(request, ORDER_SUBMITTED % {"order": order})
        return HttpResponseRedirect(order.get_absolute_url())


class OrderTaskView(View):
    """The page of one order step: review (approve / send back with a
    reason), a delivery (quantities per line) or a collection (amount)."""

    template_name = "projects/salesorder/task.html"

    def form_for(self, request, task, order, data=None):
        name = task.flow_task.name
        if name in ("business_review", "finance_review"):
            return ReviewForm(data)
        if name == "deliver":
            open_lines = [line for line in selectors.order_lines(order) if line.open_quantity > 0]
            return DeliveryForm(data, lines=open_lines)
        return CollectionForm(data, initial={"amount": order.outstanding})

    def context(self, request, task, order, form, error="", status=200):
        refusal = ""
        if task.status not in ("NEW", "ASSIGNED"):
            refusal = gettext("This step is closed.")
        elif order.owner_id == request.user.pk:
            refusal = str(order_flow.OWN_ORDER)
        elif not order_flow.may_act(request.user, task):
            refusal = str(order_flow.NOT_YOUR_TASK)
        step = task.flow_task.name
        return {
            "page_title": f"{order_flow.STEP_TITLES[step]} · {order}",
            "task": task,
            "order": order,
            "step": step,
            "form": form,
            "lines": selectors.order_lines(order),
            "refusal": refusal,
            "error": error,
            "can_see_order": SalesOrder.objects.visible_to(request.user)
            .filter(pk=order.pk)
            .exists(),
        }

    def get(self, request, process_pk, task_pk):
        task = selectors.access_order_task(
            user=request.user, process_pk=process_pk, task_pk=task_pk
        )
        order = selectors.order_for_task(task)
        form = self.form_for(request, task, order)
        return render(request, self.template_name, self.context(request, task, order, form))

    def post(self, request, process_pk, task_pk):
        task = selectors.access_order_task(
            user=request.user, process_pk=process_pk, task_pk=task_pk
        )
        order = selectors.order_for_task(task)
        form = self.form_for(request, task, order, request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self.context(request, task, order, form))
        name = task.flow_task.name
        if name in ("business_review", "finance_review"):
            params = {
                "action": form.cleaned_data["decision"],
                "reason": form.cleaned_data["reason"],
            }
        elif name == "deliver":
            params = {
                "action": "deliver",
                "quantities": form.quantities(),
                "on": form.cleaned_data["delivered_on"],
                "note": form.cleaned_data["note"],
            }
        else:
            params = {
                "action": "collect",
                "amount": form.cleaned_data["amount"],
                "on": form.cleaned_data["received_on"],
                "reference": form.cleaned_data["reference"],
            }
        try:
            order_flow.order_task_act(task_id=task.pk, by=request.user, **params)
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
            return render(
                request, self.template_name, self.context(request, task, order, form), status=400
            )
        except PermissionDenied as exc:
            task.refresh_from_db()
            return render(
                request,
                self.template_name,
                self.context(request, task, order, form, error=str(exc)),
                status=403,
            )
        except ApprovalConflict as exc:
            task.refresh_from_db()
            return render(
                request,
                self.template_name,
                self.context(request, task, order, form, error=exc.message),
                status=409,
            )
        messages.success(
            request, STEP_DONE % {"order": order, "step": order_flow.STEP_TITLES[name]}
        )
        return HttpResponseRedirect(reverse("orders:tasks:index"))


class MyTasksView(TemplateView):
    """WF-2: the order steps and contract approvals waiting for the user (their
    own and their roles' queues), and where the orders and contracts they
    submitted stand."""

    template_name = "projects/orders/task_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        tasks = list(selectors.order_inbox_tasks(user)[:100]) + list(
            selectors.contract_inbox_tasks(user)[:100]
        )
        for task in tasks:
            task.url = _step_link(task)
        started = list(selectors.started_order_steps(user)[:50]) + list(
            selectors.started_contract_steps(user)[:50]
        )
        for task in started:
            task.where_url = task.flow_task.flow_class.instance.reverse(
                "process_detail", kwargs={"process_pk": task.process_id}
            )
        context.update(
            page_title=gettext("My order and contract tasks"), tasks=tasks, started=started
        )
        return context


# --- Contracts ------------------------------------------------------------------------


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
            task_url=_step_link(task),
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
                request, contract, milestones, instalments, _errors(exc), status=400
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
            for message in _errors(exc):
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
        contract = contract_flow.contract_flow_submit(contract=contract, by=request.user)
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


class ContractDecisionView(View):
    """One contract approval step: the contract, its plan and chain, and the
    approve / reject form for whoever may decide it."""

    template_name = "projects/contractapproval/task.html"

    def context(self, request, task, contract, form, error=""):
        refusal = ""
        if task.status not in ("NEW", "ASSIGNED"):
            refusal = gettext("This step is closed.")
        elif (task.process.data or {}).get("submitted_by") == request.user.pk:
            refusal = str(contract_flow.OWN_CONTRACT)
        elif not contract_flow.may_decide(request.user, task):
            refusal = str(contract_flow.NOT_YOUR_TASK)
        return {
            "page_title": gettext("Approve contract %(contract)s") % {"contract": contract},
            "task": task,
            "contract": contract,
            "form": form,
            "refusal": refusal,
            "error": error,
            "can_see_contract": contract.__class__.objects.visible_to(request.user)
            .filter(pk=contract.pk)
            .exists(),
            **selectors.contract_plan(contract),
        }

    def get(self, request, process_pk, task_pk):
        task = selectors.access_contract_task(
            user=request.user, process_pk=process_pk, task_pk=task_pk
        )
        contract = selectors.contract_for_task(task)
        return render(
            request, self.template_name, self.context(request, task, contract, DecisionForm())
        )

    def post(self, request, process_pk, task_pk):
        task = selectors.access_contract_task(
            user=request.user, process_pk=process_pk, task_pk=task_pk
        )
        contract = selectors.contract_for_task(task)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, self.context(request, task, contract, form))
        try:
            contract_flow.contract_decide(
                task_id=task.pk,
                by=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
            return render(
                request, self.template_name, self.context(request, task, contract, form), status=400
            )
        except PermissionDenied as exc:
            task.refresh_from_db()
            return render(
                request,
                self.template_name,
                self.context(request, task, contract, form, error=str(exc)),
                status=403,
            )
        except ApprovalConflict as exc:
            task.refresh_from_db()
            return render(
                request,
                self.template_name,
                self.context(request, task, contract, form, error=exc.message),
                status=409,
            )
        messages.success(request, DECIDED % {"contract": contract})
        return HttpResponseRedirect(reverse("orders:tasks:index"))


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
        from projects.models import Opportunity

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
            for message in _errors(exc):
                messages.error(request, message)
            return HttpResponseRedirect(back)
        messages.success(request, CONTRACT_CREATED % {"contract": contract.number})
        return HttpResponseRedirect(reverse("orders:contract:plan", kwargs={"pk": contract.pk}))


class DealDocumentsView(TemplateView):
    """Quotes (with their versions), orders and contracts of one deal, for
    the deal page's Turbo frame; opened directly it is a page of its own."""

    template_name = "projects/orders/deal_documents.html"

    def get_context_data(self, **kwargs):
        from projects.models import Opportunity, QuoteStatus, Stage
        from projects.selectors_quotes import quotes_visible_to

        context = super().get_context_data(**kwargs)
        user = self.request.user
        load_scopes(user, [Opportunity, Quote, SalesOrder, Contract])  # one query for the four
        deal = access_object(Opportunity.objects.all(), user=user, pk=kwargs["pk"])
        quotes = list(
            quotes_visible_to(user).filter(opportunity=deal).order_by("number", "-version")
        )
        context.update(
            deal=deal,
            page_title=deal.title,
            quotes=quotes,
            orders=list(selectors.orders_visible_to(user).filter(opportunity=deal).order_by("-id")),
            contracts=list(
                selectors.contracts_visible_to(user).filter(opportunity=deal).order_by("-id")
            ),
            approved_quotes=[
                q for q in quotes if q.status in (QuoteStatus.APPROVED, QuoteStatus.SENT)
            ],
            can_quote=deal.status in (Stage.Kind.OPEN, Stage.Kind.WON)
            and user.has_perm("projects.add_quote"),
            can_order=user.has_perm("projects.add_salesorder"),
            can_contract=deal.status == Stage.Kind.WON and user.has_perm("projects.add_contract"),
        )
        return context


CUSTOMER_DOCUMENTS_SHOWN = 20


class CustomerDocumentsView(TemplateView):
    """The newest orders and contracts of one customer that the user sees,
    for the customer page's Turbo frame; opened directly it is a page of its
    own. The customer answers 404 outside the user's scope."""

    template_name = "projects/orders/customer_documents.html"

    def get_context_data(self, **kwargs):
        from customers.models import Customer
        from customers.selectors import access_customer

        context = super().get_context_data(**kwargs)
        user = self.request.user
        load_scopes(user, [Customer, SalesOrder, Contract])  # one query for the three scopes
        customer = access_customer(user=user, pk=kwargs["pk"])
        shown = CUSTOMER_DOCUMENTS_SHOWN
        order_rows = list(
            selectors.orders_visible_to(user)
            .filter(customer=customer)
            .order_by("-order_date", "-id")[: shown + 1]
        )
        contract_rows = list(
            selectors.contracts_visible_to(user)
            .filter(customer=customer)
            .order_by("-created_at", "-id")[: shown + 1]
        )
        context.update(
            customer=customer,
            page_title=customer.name,
            orders=order_rows[:shown],
            more_orders=len(order_rows) > shown,
            contracts=contract_rows[:shown],
            more_contracts=len(contract_rows) > shown,
            can_order=user.has_perm("projects.add_salesorder") and not customer.is_archived,
        )
        return context
