"""Pages that span the documents of a deal or a customer: the deal's and the
customer's quotes, orders and contracts (Turbo frames), and the user's
order and contract tasks (WF-2). Every read is scoped."""

from __future__ import annotations

from django.utils.translation import gettext
from django.views.generic import TemplateView

from crm.scope import access_object, load_scopes
from customers.models import Customer
from customers.selectors import access_customer
from projects.contracts import selectors as contract_selectors
from projects.models import Contract, Opportunity, Quote, QuoteStatus, SalesOrder, Stage
from projects.orders import selectors as order_selectors
from projects.orders.views import step_link
from projects.quotes.selectors import quotes_visible_to


class MyTasksView(TemplateView):
    """WF-2: the order steps and contract approvals waiting for the user (their
    own and their roles' queues), and where the orders and contracts they
    submitted stand."""

    template_name = "projects/orders/task_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        tasks = list(order_selectors.order_inbox_tasks(user)[:100]) + list(
            contract_selectors.contract_inbox_tasks(user)[:100]
        )
        for task in tasks:
            task.url = step_link(task)
        started = list(order_selectors.started_order_steps(user)[:50]) + list(
            contract_selectors.started_contract_steps(user)[:50]
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


class DealDocumentsView(TemplateView):
    """Quotes (with their versions), orders and contracts of one deal, for
    the deal page's Turbo frame; opened directly it is a page of its own."""

    template_name = "projects/orders/deal_documents.html"

    def get_context_data(self, **kwargs):
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
            orders=list(
                order_selectors.orders_visible_to(user).filter(opportunity=deal).order_by("-id")
            ),
            contracts=list(
                contract_selectors.contracts_visible_to(user)
                .filter(opportunity=deal)
                .order_by("-id")
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
        context = super().get_context_data(**kwargs)
        user = self.request.user
        load_scopes(user, [Customer, SalesOrder, Contract])  # one query for the three scopes
        customer = access_customer(user=user, pk=kwargs["pk"])
        shown = CUSTOMER_DOCUMENTS_SHOWN
        order_rows = list(
            order_selectors.orders_visible_to(user)
            .filter(customer=customer)
            .order_by("-order_date", "-id")[: shown + 1]
        )
        contract_rows = list(
            contract_selectors.contracts_visible_to(user)
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
