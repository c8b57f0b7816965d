"""Service pages (SVC-1..3): the request list, my requests, the branch queue,
a request's page with its steps, a new request, the customer page's frame,
the start page's card, and the care to-dos.

Reads go through ``service.selectors`` (scoped, 404 outside the scope);
writes through ``service.services`` and ``service.care``. A refused step is
answered with the service's message and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from crm.paging import page_number
from crm.scope import user_scope
from customers.models import Customer
from customers.selectors import access_customer
from service import care, selectors, services
from service.forms import (
    AssignForm,
    CareFinishForm,
    CloseForm,
    CustomerPickForm,
    NoteForm,
    QueueAssignForm,
    ResolveForm,
    ServiceRequestForm,
)
from service.models import (
    CareTask,
    CareTaskStatus,
    Priority,
    RequestStatus,
    RequestType,
    ServiceRequest,
)
from service.services import Step

PAGE_SIZE = 25
CUSTOMER_REQUESTS_SHOWN = 10

CREATED = _("Service request %(number)s created.")
STEP_DONE = {
    Step.CLAIM: _("You have taken %(number)s."),
    Step.ASSIGN: _("%(number)s assigned."),
    Step.START: _("Work on %(number)s started."),
    Step.RESOLVE: _("%(number)s resolved."),
    Step.CLOSE: _("%(number)s closed."),
    Step.REOPEN: _("%(number)s reopened."),
    Step.CANCEL: _("%(number)s cancelled."),
}
CARE_DONE = _("Care to-do marked done.")
CARE_SKIPPED = _("Care to-do skipped.")


class Permitted(View):
    """A view for the holders of ``permission`` only (403 for others); what
    records it shows is still decided by the scope."""

    permission = ""

    def dispatch(self, request, *args, **kwargs):
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied(services.NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)


def _errors(exc) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(message) for message in exc.messages]
    return [str(exc)]


def _page(queryset, request):
    page = page_number(request.GET.get("page"))
    rows = list(queryset[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Lists ----------------------------------------------------------------------------


class RequestListView(Permitted):
    """All requests the user sees, filtered and sorted (indexed columns)."""

    permission = "service.view_servicerequest"

    title = _("Service requests")
    template_name = "service/request_list.html"
    show_filters = True

    def filters(self, request):
        return selectors.RequestFilters.from_query(request.GET)

    def queryset(self, request, filters):
        return selectors.request_list(user=request.user, filters=filters)

    def get(self, request):
        filters = self.filters(request)
        rows, page, has_next = _page(self.queryset(request, filters), request)
        return render(
            request,
            self.template_name,
            {
                "page_title": str(self.title),
                "requests": rows,
                "page": page,
                "has_next": has_next,
                "query": _query_without_page(request),
                "filters": filters,
                "statuses": RequestStatus.choices,
                "types": RequestType.choices,
                "priorities": Priority.choices,
                "show_filters": self.show_filters,
                "can_add": request.user.has_perm("service.add_servicerequest"),
            },
        )


class MyRequestsView(RequestListView):
    """The requests assigned to me, open or waiting to be closed."""

    title = _("My service requests")

    show_filters = False

    def queryset(self, request, filters):
        return selectors.my_requests(user=request.user)


class QueueView(Permitted):
    """My branch's queue (unassigned requests): claim one; service managers
    tick several and assign them."""

    permission = "service.change_servicerequest"

    def get(self, request):
        return self.render_queue(request)

    @staticmethod
    def render_queue(request, *, form=None, status=200):
        user = request.user
        can_assign = user.has_perm("service.assign_servicerequest")
        scope = user_scope(user, model=ServiceRequest)
        agents = (
            services.service_agents(branch_id=scope.branch_id).order_by("first_name", "username")
            if can_assign and scope.branch_id
            else None
        )
        if can_assign and form is None and agents is not None:
            form = QueueAssignForm(agents=agents)
        rows, page, has_next = _page(selectors.queue(user=user), request)
        return render(
            request,
            "service/queue.html",
            {
                "page_title": gettext("Service queue"),
                "requests": rows,
                "page": page,
                "has_next": has_next,
                "query": "",
                "form": form,
                "can_assign": can_assign and form is not None,
                "can_claim": user.has_perm("service.change_servicerequest"),
            },
            status=status,
        )


class QueueAssignView(Permitted):
    """Give the ticked requests to one agent; all or nothing."""

    permission = "service.assign_servicerequest"

    def get(self, request):
        return HttpResponseRedirect(reverse("service:queue:index"))

    def post(self, request):
        if not request.user.has_perm("service.assign_servicerequest"):
            raise PermissionDenied
        scope = user_scope(request.user, model=ServiceRequest)
        agents = services.service_agents(branch_id=scope.branch_id or 0)
        form = QueueAssignForm(
            request.POST,
            agents=agents,
            choices=request.POST.getlist("ids"),
        )
        if form.is_valid():
            assignee = form.cleaned_data["assignee"]
            try:
                with transaction.atomic():
                    for pk in form.cleaned_data["ids"]:
                        selectors.access_service_request(user=request.user, pk=pk)
                        services.service_request_transition(
                            request=pk, step=Step.ASSIGN, by=request.user, assignee=assignee
                        )
            except (ValidationError, PermissionDenied) as exc:
                for message in _errors(exc):
                    form.add_error(None, message)
            else:
                count = len(form.cleaned_data["ids"])
                messages.success(
                    request,
                    ngettext(
                        "%(count)d request assigned to %(name)s.",
                        "%(count)d requests assigned to %(name)s.",
                        count,
                    )
                    % {"count": count, "name": assignee.get_full_name() or assignee.username},
                )
                return HttpResponseRedirect(reverse("service:queue:index"))
        return QueueView.render_queue(request, form=form, status=400)


# --- One request ----------------------------------------------------------------------


class RequestDetailView(Permitted):
    permission = "service.view_servicerequest"
    model = ServiceRequest

    def get(self, request, pk):
        user = request.user
        service_request = selectors.access_service_request(user=user, pk=pk)
        steps = set(services.allowed_steps(service_request))
        may_work = user.has_perm("service.change_servicerequest")
        is_assignee = service_request.assignee is not None and service_request.owner_id == user.pk
        manager = user.has_perm("service.assign_servicerequest")
        acts = may_work and (is_assignee or manager)
        agents = (
            services.service_agents(branch_id=service_request.branch_id).order_by(
                "first_name", "username"
            )
            if manager and Step.ASSIGN in steps
            else None
        )
        return render(
            request,
            "service/request_detail.html",
            {
                "page_title": str(service_request),
                "sr": service_request,
                "events": selectors.request_events(service_request),
                "employees": selectors.request_employees(service_request),
                "can_claim": Step.CLAIM in steps
                and may_work
                and user_scope(user).branch_id == service_request.branch_id,
                "assign_form": AssignForm(agents=agents) if agents is not None else None,
                "can_start": Step.START in steps and acts,
                "can_resolve": Step.RESOLVE in steps and acts,
                "can_close": Step.CLOSE in steps and acts,
                "can_reopen": Step.REOPEN in steps and acts,
                "can_cancel": Step.CANCEL in steps
                and may_work
                and (acts or service_request.created_by_id == user.pk),
                "resolve_form": ResolveForm(),
                "close_form": CloseForm(),
            },
        )


class RequestStepView(Permitted):
    """One step of the status flow (POST); its name comes from the URL."""

    permission = "service.view_servicerequest"

    model = ServiceRequest
    step: str = ""

    def get(self, request, pk):
        service_request = selectors.access_service_request(user=request.user, pk=pk)
        return HttpResponseRedirect(service_request.get_absolute_url())

    def post(self, request, pk):
        service_request = selectors.access_service_request(user=request.user, pk=pk)
        kwargs: dict = {}
        if self.step == Step.ASSIGN:
            form = AssignForm(
                request.POST,
                agents=services.service_agents(branch_id=service_request.branch_id),
            )
            if not form.is_valid():
                messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
                return HttpResponseRedirect(service_request.get_absolute_url())
            kwargs["assignee"] = form.cleaned_data["assignee"]
        elif self.step == Step.RESOLVE:
            form = ResolveForm(request.POST)
            form.is_valid()
            kwargs["resolution"] = form.cleaned_data.get("resolution", "")
        elif self.step == Step.CLOSE:
            form = CloseForm(request.POST)
            if not form.is_valid():
                messages.error(request, str(services.BAD_SATISFACTION))
                return HttpResponseRedirect(service_request.get_absolute_url())
            kwargs["satisfaction"] = form.cleaned_data.get("satisfaction")
        elif self.step in (Step.REOPEN, Step.CANCEL):
            form = NoteForm(request.POST)
            form.is_valid()
            kwargs["note"] = form.cleaned_data.get("note", "")
        try:
            done = services.service_request_transition(
                request=service_request.pk, step=self.step, by=request.user, **kwargs
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in _errors(exc):
                messages.error(request, message)
            return HttpResponseRedirect(service_request.get_absolute_url())
        except Http404:
            # Seen through its customer only (a sales rep): looking, not working.
            messages.error(request, str(services.NOT_ALLOWED))
            return HttpResponseRedirect(service_request.get_absolute_url())
        messages.success(request, STEP_DONE[self.step] % {"number": done.number})
        return HttpResponseRedirect(done.get_absolute_url())


class RequestCreateView(View):
    """A new request: for the customer of ``?customer=`` (a visible one), or
    first choose the customer."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("service.add_servicerequest"):
            raise PermissionDenied(services.NOT_ALLOWED)
        return super().dispatch(request, *args, **kwargs)

    def _customer(self, request):
        raw = request.POST.get("customer") or request.GET.get("customer") or ""
        return access_customer(user=request.user, pk=raw) if raw.isdigit() else None

    def render_form(self, request, *, customer, form, status=200):
        return render(
            request,
            "service/request_form.html",
            {
                "page_title": gettext("New service request"),
                "customer": customer,
                "form": form,
            },
            status=status,
        )

    def get(self, request):
        customer = self._customer(request)
        if customer is None:
            return self.render_form(
                request, customer=None, form=CustomerPickForm(user=request.user)
            )
        initial = {"request_type": request.GET.get("type", RequestType.REPAIR)}
        return self.render_form(
            request,
            customer=customer,
            form=ServiceRequestForm(user=request.user, customer=customer, initial=initial),
        )

    def post(self, request):
        customer = self._customer(request)
        if customer is None:
            return HttpResponseRedirect(reverse("service:request:add"))
        form = ServiceRequestForm(request.POST, user=request.user, customer=customer)
        if form.is_valid():
            data = dict(form.cleaned_data)
            take_it = data.pop("take_it", False)
            try:
                created = services.service_request_create(
                    by=request.user,
                    customer=customer,
                    assignee=request.user if take_it else None,
                    **data,
                )
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    for message in _errors(exc):
                        form.add_error(None, message)
            else:
                messages.success(request, CREATED % {"number": created.number})
                return HttpResponseRedirect(created.get_absolute_url())
        return self.render_form(request, customer=customer, form=form, status=400)


# --- Frames on other apps' pages ------------------------------------------------------


class CustomerRequestsView(Permitted):
    """A customer's requests, for the customer page's Turbo frame (or as a
    page of its own): whoever sees the customer sees them."""

    permission = "service.view_servicerequest"

    model = Customer

    def get(self, request, pk):
        customer = access_customer(user=request.user, pk=pk)
        rows = list(
            selectors.customer_requests(user=request.user, customer=customer)[
                : CUSTOMER_REQUESTS_SHOWN + 1
            ]
        )
        return render(
            request,
            "service/customer_requests.html",
            {
                "page_title": customer.name,
                "customer": customer,
                "requests": rows[:CUSTOMER_REQUESTS_SHOWN],
                "more": len(rows) > CUSTOMER_REQUESTS_SHOWN,
                "can_add": request.user.has_perm("service.add_servicerequest")
                and not customer.is_archived,
            },
        )


class TodayServiceView(View):
    """The start page's service and care cards (a Turbo frame)."""

    def get(self, request):
        user = request.user
        return render(
            request,
            "service/today.html",
            {
                "page_title": gettext("Service today"),
                "service": selectors.today_service_card(user=user)
                if user.has_perm("service.change_servicerequest")
                else None,
                "care": selectors.today_care_card(user=user)
                if user.has_perm("service.view_caretask")
                else None,
                "now": timezone.now(),
            },
        )


# --- Care to-dos ------------------------------------------------------------------------


class CareListView(Permitted):
    permission = "service.view_caretask"

    def get(self, request):
        status = request.GET.get("status", CareTaskStatus.OPEN)
        if status not in (*CareTaskStatus.values, "all"):
            status = CareTaskStatus.OPEN
        mine = request.GET.get("mine", "1") == "1"
        rows, page, has_next = _page(
            selectors.care_tasks(user=request.user, status=status, mine=mine), request
        )
        return render(
            request,
            "service/care_list.html",
            {
                "page_title": gettext("Care to-dos"),
                "tasks": rows,
                "page": page,
                "has_next": has_next,
                "query": _query_without_page(request),
                "status": status,
                "mine": mine,
                "statuses": CareTaskStatus.choices,
                "today": timezone.localdate(),
            },
        )


class CareDetailView(Permitted):
    permission = "service.view_caretask"
    model = CareTask

    def get(self, request, pk):
        task = selectors.access_care_task(user=request.user, pk=pk)
        return render(
            request,
            "service/care_detail.html",
            {
                "page_title": task.title,
                "task": task,
                "form": CareFinishForm(),
                "can_finish": task.status == CareTaskStatus.OPEN
                and request.user.has_perm("service.change_caretask"),
            },
        )


class CareFinishView(Permitted):
    permission = "service.view_caretask"
    model = CareTask
    status = ""

    def get(self, request, pk):
        task = selectors.access_care_task(user=request.user, pk=pk)
        return HttpResponseRedirect(task.get_absolute_url())

    def post(self, request, pk):
        task = selectors.access_care_task(user=request.user, pk=pk)
        form = CareFinishForm(request.POST)
        form.is_valid()
        try:
            care.care_task_finish(
                task=task.pk, status=self.status, by=request.user, note=form.cleaned_data["note"]
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in _errors(exc):
                messages.error(request, message)
            return HttpResponseRedirect(task.get_absolute_url())
        messages.success(request, CARE_DONE if self.status == CareTaskStatus.DONE else CARE_SKIPPED)
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("service:care:index")
        return HttpResponseRedirect(next_url)
