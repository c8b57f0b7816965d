"""The customer's 360° page (CUS-2) and what is done from it: contacts and
the decision tree (CUS-4, CUS-5), follow-ups (CUS-6) and the lifecycle
(CUS-3).

Every view fetches its record through the scoped selectors first (404
outside the scope), then checks the model permission (403), then calls a
service. POST-only actions answer a GET with a redirect to the page they
belong to, after the same scope check.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from crm.redirects import safe_next
from crm.viewsets import ScopedDetailView
from customers import selectors, services
from customers.forms_360 import ArchiveForm, ContactForm, FollowUpForm, StageChangeForm
from customers.models import (
    Attitude,
    Contact,
    Customer,
    FollowUp,
    LifecycleStage,
)
from customers.panels import customer_panels

CONTACT_ADDED = _("Contact “%(name)s” added.")
CONTACT_SAVED = _("Contact “%(name)s” saved.")
FOLLOW_UP_LOGGED = _("Follow-up “%(subject)s” logged.")
NEXT_STEP_DONE = _("Next step “%(step)s” done.")
STAGE_CHANGED = _("Lifecycle stage changed to %(stage)s.")
STAGE_NOT_CHANGED = _("The stage was not changed: give the new stage and a cause.")
CUSTOMER_ARCHIVED = _("Customer archived.")
CUSTOMER_RESTORED = _("Customer restored.")

#: The normal path through the lifecycle; stalled and lost are off it.
LIFECYCLE_PATH = [
    LifecycleStage.TARGET,
    LifecycleStage.POTENTIAL,
    LifecycleStage.OPPORTUNITY,
    LifecycleStage.SOLUTION,
    LifecycleStage.NEGOTIATION,
    LifecycleStage.CUSTOMER,
    LifecycleStage.DELIVERY,
    LifecycleStage.ACCEPTANCE,
    LifecycleStage.SERVICE,
    LifecycleStage.REPEAT,
]
LIFECYCLE_OFF_PATH = [LifecycleStage.STALLED, LifecycleStage.LOST]

#: Basic information (CUS-1) in the order the page shows it.
INFO_FIELDS = [
    "name",
    "short_name",
    "credit_code",
    "type",
    "industry",
    "region",
    "address",
    "phone",
    "website",
    "size",
    "source",
    "value_grade",
    "credit_status",
    "tags",
    "lifecycle_stage",
    "notes",
]

#: Node colours of the decision tree, by attitude to us.
ATTITUDE_COLORS = {
    Attitude.CHAMPION: "#2e7d32",
    Attitude.SUPPORTER: "#a5d6a7",
    Attitude.NEUTRAL: "#e0e0e0",
    Attitude.SKEPTIC: "#ffcc80",
    Attitude.OPPONENT: "#ef9a9a",
}
UNKNOWN_ATTITUDE_COLOR = "#ffffff"


# --- Building blocks ------------------------------------------------------------


def _dot_string(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped, lines as ``\\n``."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\r", "").replace("\n", "\\n") + '"'


def decision_tree_dot(contacts: list[Contact]) -> str:
    """The decision tree (CUS-5) as a Graphviz DOT digraph for ``<vf-network>``.

    One box per active contact (name, title, decision role and influence),
    coloured by attitude; an edge from each superior to who reports to them.
    Reads nothing: it consumes the contacts the page already loaded.
    """
    active = [c for c in contacts if c.is_active]
    ids = {c.pk for c in active}
    lines = ["digraph {", "node [shape=box];"]
    for contact in active:
        details = [contact.name]
        if contact.title:
            details.append(contact.title)
        role = contact.get_decision_role_display() if contact.decision_role else ""
        if contact.influence:
            role = f"{role} · {contact.influence}/5" if role else f"{contact.influence}/5"
        if role:
            details.append(role)
        color = ATTITUDE_COLORS.get(contact.attitude, UNKNOWN_ATTITUDE_COLOR)
        font = "#ffffff" if contact.attitude == Attitude.CHAMPION else "#212121"
        lines.append(
            f'"c{contact.pk}" [label={_dot_string(chr(10).join(details))}, '
            f'color="{color}", fontcolor="{font}"];'
        )
    for contact in active:
        if contact.reports_to_id in ids:
            lines.append(f'"c{contact.reports_to_id}" -> "c{contact.pk}";')
    lines.append("}")
    return "\n".join(lines)


def lifecycle_path(current: str) -> tuple[list[dict], list[dict]]:
    """The stages on and off the path, each marked done/current/ahead."""
    on_path = current in LIFECYCLE_PATH
    position = LIFECYCLE_PATH.index(current) if on_path else -1
    path_steps = [
        {
            "value": stage.value,
            "label": stage.label,
            "state": ("current" if i == position else "done" if i < position else "ahead"),
        }
        for i, stage in enumerate(LIFECYCLE_PATH)
    ]
    off_steps = [
        {
            "value": stage.value,
            "label": stage.label,
            "state": "current" if stage == current else "ahead",
        }
        for stage in LIFECYCLE_OFF_PATH
    ]
    return path_steps, off_steps


def customer_info_rows(customer: Customer) -> list[tuple[str, object]]:
    rows = []
    for name in INFO_FIELDS:
        field = Customer._meta.get_field(name)
        display = getattr(customer, f"get_{name}_display", None)
        value = display() if display else getattr(customer, name)
        if name == "tags":
            value = ", ".join(value)
        rows.append((str(field.verbose_name), value))
    rows.append((str(Customer._meta.get_field("owner").verbose_name), customer.owner_name()))
    rows.append((str(Customer._meta.get_field("department").verbose_name), customer.department))
    rows.append((str(Customer._meta.get_field("branch").verbose_name), customer.branch))
    return rows


def _can(user, codename: str) -> bool:
    return user.has_perm(f"customers.{codename}")


def _require(user, codename: str) -> None:
    if not _can(user, codename):
        raise PermissionDenied


def _customer_url(customer_or_pk, anchor: str = "") -> str:
    pk = getattr(customer_or_pk, "pk", customer_or_pk)
    url = reverse("customers:customer:detail", kwargs={"pk": pk})
    return f"{url}#{anchor}" if anchor else url


def _archived_refusal(request, customer: Customer, anchor: str):
    """An archived customer is read-only: back to its page with the reason."""
    if not customer.is_archived:
        return None
    messages.error(request, services.CANNOT_EDIT_ARCHIVED)
    return HttpResponseRedirect(_customer_url(customer, anchor))


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- The 360° page --------------------------------------------------------------


class Customer360View(ScopedDetailView):
    """One page per customer: basic information, contacts and decision tree,
    follow-ups, lifecycle, change history and the panels of later apps.

    Its query count does not grow with contacts or follow-ups: each list is
    one query (follow-ups' contacts one prefetch), the latest
    ``FOLLOW_UPS_SHOWN`` follow-ups are shown with a link to all.
    """

    template_name = "customers/customer_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        customer, user = self.object, self.request.user
        contacts = list(selectors.customer_contacts(user=user, customer=customer))
        follow_ups = list(
            selectors.customer_follow_ups(user=user, customer=customer)[
                : selectors.FOLLOW_UPS_SHOWN + 1
            ]
        )
        path_steps, off_steps = lifecycle_path(customer.lifecycle_stage)
        can_change_customer = _can(user, "change_customer")
        context.update(
            page_title=customer.name,
            info_rows=customer_info_rows(customer),
            contacts=contacts,
            decision_tree_dot=decision_tree_dot(contacts),
            coverage_gaps=selectors.decision_coverage_gaps(contacts, now=timezone.now()),
            decider_not_met_days=selectors.DECIDER_NOT_MET_DAYS,
            follow_ups=follow_ups[: selectors.FOLLOW_UPS_SHOWN],
            more_follow_ups=len(follow_ups) > selectors.FOLLOW_UPS_SHOWN,
            follow_up_form=self._follow_up_form(contacts),
            lifecycle_steps=path_steps,
            lifecycle_off_path=off_steps,
            lifecycle_events=list(selectors.customer_lifecycle_events(customer=customer)[:50]),
            stage_form=StageChangeForm(initial={"stage": customer.lifecycle_stage}),
            panels=customer_panels.render_list(self.request, customer),
            can_add_contact=_can(user, "add_contact") and not customer.is_archived,
            can_change_contact=_can(user, "change_contact"),
            can_add_followup=_can(user, "add_followup") and not customer.is_archived,
            can_change_followup=_can(user, "change_followup"),
            can_change_customer=can_change_customer,
            can_edit_customer=can_change_customer and not customer.is_archived,
            today=timezone.localdate(),
        )
        return context

    def _follow_up_form(self, contacts: list[Contact]) -> FollowUpForm:
        form = FollowUpForm(prefix="fu")
        # The choices come from the contacts already read: no second query.
        form.fields["contacts"].choices = [(c.pk, c.name) for c in contacts if c.is_active]
        return form


class CustomerFollowUpsView(View):
    """All follow-ups of a customer that the user may see, a page at a time."""

    model = Customer
    paginate_by = 50

    def get(self, request, pk):
        customer = selectors.access_customer(user=request.user, pk=pk)
        follow_ups = selectors.customer_follow_ups(user=request.user, customer=customer)
        page = Paginator(follow_ups, self.paginate_by).get_page(request.GET.get("page"))
        return render(
            request,
            "customers/360/follow_up_list.html",
            {"customer": customer, "page_obj": page, "page_title": customer.name},
        )


# --- Contacts (CUS-4, CUS-5) ------------------------------------------------------


class ContactAddView(View):
    """Add a contact to a customer (``pk`` is the customer's)."""

    model = Customer

    def dispatch(self, request, *args, **kwargs):
        self.customer = selectors.access_customer(user=request.user, pk=kwargs["pk"])
        _require(request.user, "add_contact")
        refusal = _archived_refusal(request, self.customer, "contacts")
        return refusal or super().dispatch(request, *args, **kwargs)

    def _form(self, data=None) -> ContactForm:
        colleagues = selectors.customer_contacts(user=self.request.user, customer=self.customer)
        return ContactForm(data, colleagues=colleagues.filter(is_active=True))

    def get(self, request, pk):
        return self._render(self._form())

    def post(self, request, pk):
        form = self._form(request.POST)
        if form.is_valid():
            try:
                contact = services.contact_create(
                    by=request.user, customer=self.customer, **form.cleaned_data
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, CONTACT_ADDED % {"name": contact.name})
                return HttpResponseRedirect(_customer_url(self.customer, "contacts"))
        return self._render(form, status=200)

    def _render(self, form, status=200):
        return render(
            self.request,
            "customers/360/contact_form.html",
            {
                "form": form,
                "customer": self.customer,
                "page_title": gettext("Add a contact"),
            },
            status=status,
        )


class ContactEditView(View):
    """Edit a contact (``pk`` is the contact's); a new title or department
    is kept as a job change by the service."""

    model = Contact

    def dispatch(self, request, *args, **kwargs):
        self.contact = selectors.access_contact(user=request.user, pk=kwargs["pk"])
        self.customer = self.contact.customer
        _require(request.user, "change_contact")
        refusal = _archived_refusal(request, self.customer, "contacts")
        return refusal or super().dispatch(request, *args, **kwargs)

    def _form(self, data=None) -> ContactForm:
        colleagues = (
            selectors.customer_contacts(user=self.request.user, customer=self.customer)
            .filter(is_active=True)
            .exclude(pk=self.contact.pk)
        )
        return ContactForm(data, instance=self.contact, colleagues=colleagues)

    def get(self, request, pk):
        return self._render(self._form())

    def post(self, request, pk):
        form = self._form(request.POST)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            job_changed_on = fields.pop("job_changed_on", None)
            try:
                contact = services.contact_update(
                    contact=self.contact, by=request.user, job_changed_on=job_changed_on, **fields
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, CONTACT_SAVED % {"name": contact.name})
                return HttpResponseRedirect(contact.get_absolute_url())
        return self._render(form)

    def _render(self, form):
        return render(
            self.request,
            "customers/360/contact_form.html",
            {
                "form": form,
                "customer": self.customer,
                "contact": self.contact,
                "page_title": gettext("Edit contact"),
            },
        )


class ContactDetailView(ScopedDetailView):
    """A contact with their job changes, the follow-ups they took part in
    (those the user may see) and the change history."""

    template_name = "customers/contact_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("customer", "reports_to")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contact, user = self.object, self.request.user
        context.update(
            page_title=contact.name,
            job_changes=list(contact.job_changes.select_related("recorded_by")),
            contact_follow_ups=list(selectors.contact_follow_ups(user=user, contact=contact)[:50]),
            can_change_contact=_can(user, "change_contact"),
        )
        return context


# --- Follow-ups (CUS-6) ---------------------------------------------------------


class FollowUpAddView(View):
    """Log a follow-up of a customer (``pk`` is the customer's). The inline
    form of the customer page posts here; a GET shows the same form alone."""

    model = Customer

    def dispatch(self, request, *args, **kwargs):
        self.customer = selectors.access_customer(user=request.user, pk=kwargs["pk"])
        _require(request.user, "add_followup")
        refusal = _archived_refusal(request, self.customer, "follow-ups")
        return refusal or super().dispatch(request, *args, **kwargs)

    def _form(self, data=None) -> FollowUpForm:
        contacts = selectors.customer_contacts(
            user=self.request.user, customer=self.customer
        ).filter(is_active=True)
        return FollowUpForm(data, prefix="fu", contacts=contacts)

    def get(self, request, pk):
        return self._render(self._form())

    def post(self, request, pk):
        form = self._form(request.POST)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            contacts = list(fields.pop("contacts", []))
            try:
                follow_up = services.follow_up_create(
                    by=request.user, customer=self.customer, contacts=contacts, **fields
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, FOLLOW_UP_LOGGED % {"subject": follow_up.subject})
                return HttpResponseRedirect(_customer_url(self.customer, "follow-ups"))
        return self._render(form)

    def _render(self, form):
        return render(
            self.request,
            "customers/360/follow_up_form.html",
            {"form": form, "customer": self.customer, "page_title": gettext("Log a follow-up")},
        )


class FollowUpDetailView(ScopedDetailView):
    """A follow-up with who took part and its history."""

    template_name = "customers/followup_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("customer").prefetch_related("contacts")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            page_title=self.object.subject,
            can_change_followup=_can(self.request.user, "change_followup"),
        )
        return context


class NextStepDoneView(View):
    """Mark a follow-up's next step done (``pk`` is the follow-up's)."""

    model = FollowUp

    def dispatch(self, request, *args, **kwargs):
        self.follow_up = selectors.access_follow_up(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return HttpResponseRedirect(_customer_url(self.follow_up.customer_id, "follow-ups"))

    def post(self, request, pk):
        _require(request.user, "change_followup")
        services.follow_up_complete_next_step(follow_up=self.follow_up, by=request.user)
        messages.success(request, NEXT_STEP_DONE % {"step": self.follow_up.next_step})
        return HttpResponseRedirect(
            safe_next(request, _customer_url(self.follow_up.customer_id, "follow-ups"))
        )


# --- Lifecycle (CUS-3) and archive --------------------------------------------------


class _CustomerActionView(View):
    """A POST action on a customer; a GET goes back to the customer's page."""

    model = Customer
    permission = "change_customer"
    anchor = ""

    def dispatch(self, request, *args, **kwargs):
        self.customer = selectors.access_customer(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return HttpResponseRedirect(_customer_url(self.customer, self.anchor))

    def post(self, request, pk):
        _require(request.user, self.permission)
        self.act(request)
        return HttpResponseRedirect(_customer_url(self.customer, self.anchor))

    def act(self, request) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError


class StageChangeView(_CustomerActionView):
    anchor = "lifecycle"

    def act(self, request) -> None:
        if _archived_refusal(request, self.customer, self.anchor):
            return
        form = StageChangeForm(request.POST)
        if not form.is_valid():
            messages.error(request, STAGE_NOT_CHANGED)
            return
        try:
            customer = services.customer_change_stage(
                customer=self.customer,
                stage=form.cleaned_data["stage"],
                cause=form.cleaned_data["cause"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return
        messages.success(request, STAGE_CHANGED % {"stage": customer.get_lifecycle_stage_display()})


class ArchiveView(_CustomerActionView):
    def act(self, request) -> None:
        form = ArchiveForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        services.customer_archive(customer=self.customer, by=request.user, reason=reason)
        messages.success(request, CUSTOMER_ARCHIVED)


class RestoreView(_CustomerActionView):
    def act(self, request) -> None:
        services.customer_restore(customer=self.customer, by=request.user)
        messages.success(request, CUSTOMER_RESTORED)


class LifecycleCountsView(View):
    """Customers per lifecycle stage in the user's scope, now and at a date."""

    def get(self, request):
        at = None
        raw = request.GET.get("at", "")
        if raw:
            try:
                at = date.fromisoformat(raw)
            except ValueError:
                at = None
        now_counts = selectors.lifecycle_counts(user=request.user)
        past_counts = selectors.lifecycle_counts(user=request.user, at=at) if at else None
        rows = [
            {
                "value": stage.value,
                "label": stage.label,
                "now": now_counts[stage.value],
                "past": past_counts[stage.value] if past_counts else None,
                "off_path": stage in LIFECYCLE_OFF_PATH,
            }
            for stage in [*LIFECYCLE_PATH, *LIFECYCLE_OFF_PATH]
        ]
        return render(
            request,
            "customers/360/lifecycle_counts.html",
            {
                "rows": rows,
                "at": at,
                "today": timezone.localdate(),
                "total_now": sum(now_counts.values()),
                "total_past": sum(past_counts.values()) if past_counts else None,
                "page_title": gettext("Customers per lifecycle stage"),
            },
        )


urlpatterns: list = [
    path("<int:pk>/contacts/add/", ContactAddView.as_view(), name="contact_add"),
    path("contacts/<int:pk>/edit/", ContactEditView.as_view(), name="contact_edit"),
    path("<int:pk>/follow-ups/", CustomerFollowUpsView.as_view(), name="customer_follow_ups"),
    path("<int:pk>/follow-ups/add/", FollowUpAddView.as_view(), name="follow_up_add"),
    path(
        "follow-ups/<int:pk>/next-step-done/",
        NextStepDoneView.as_view(),
        name="follow_up_next_step_done",
    ),
    path("<int:pk>/stage/", StageChangeView.as_view(), name="customer_change_stage"),
    path("<int:pk>/archive/", ArchiveView.as_view(), name="customer_archive"),
    path("<int:pk>/restore/", RestoreView.as_view(), name="customer_restore"),
    path("lifecycle/", LifecycleCountsView.as_view(), name="lifecycle_counts"),
]
