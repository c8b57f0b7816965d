"""Sales order pages (ORD-1) and the order flow's steps.

Reads go through ``projects.orders.selectors`` (scoped, 404 outside the
scope); writes through ``projects.orders.services`` and
``projects.orders.steps``. A refused action is answered with the
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

from approvals.services import ApprovalConflict
from crm.history import history_rows
from crm.paging import page_number
from crm.scope import access_object
from projects.models import OrderStatus, Quote, SalesOrder
from projects.orders import selectors
from projects.orders import services as orders
from projects.orders import steps as order_flow
from projects.orders.forms import (
    CollectionForm,
    DeliveryForm,
    OrderForm,
    OrderLineFormSet,
    ReviewForm,
)
from projects.quotes.views import listed_customer

PAGE_SIZE = 25

ORDER_CREATED = _("Order %(order)s created.")
ORDER_SUBMITTED = _("Order %(order)s submitted for the business review.")
STEP_DONE = _("Order %(order)s: %(step)s done.")


def error_messages(exc) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(message) for message in exc.messages]
    return [str(exc)]


def step_link(task) -> str:
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
            task_url=step_link(task),
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
                for message in error_messages(exc):
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
                return self.render_form(request, form, formset, error_messages(exc))
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
            for message in error_messages(exc):
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
            for message in error_messages(exc):
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
