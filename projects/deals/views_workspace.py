"""The deal workspace (OPP-5..7, OPP-9): one page per deal, and the actions
posted from it.

The page reads each of its lists in one query (``projects.deals.selectors.deal_workspace``)
and builds its forms from what it read, so its query count does not grow
with events, members, follow-ups, to-dos, comments or plan items.

Every action fetches the deal within the user's scope first (404 outside),
then checks the model permission (403), then calls a service. A refused
action changes nothing and shows the page again with the form's errors
(status 400); a GET of an action goes back to the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from crm.charts import chart_html, chart_scripts
from crm.history import history_rows
from crm.redirects import safe_next
from customers.forms_360 import FollowUpForm
from customers.models import Contact
from projects.deals import selectors, services
from projects.deals.charts import (
    gantt_figure,
    gantt_height,
    plan_span,
    stage_flow,
)
from projects.deals.forms import (
    CommentForm,
    EvaluationForm,
    MemberForm,
    MoveForm,
    PartnerForm,
    PlanItemForm,
    ProductLineForm,
    ReassignForm,
    TodoForm,
)
from projects.deals.panels import deal_panels
from projects.deals.permissions import deal_rights
from projects.deals.views_list import add_errors
from projects.models import (
    LossReason,
    Opportunity,
    Question,
    QuestionOption,
    Stage,
    StagePlan,
    Todo,
)

User = Opportunity._meta.get_field("owner").related_model

MOVED = _("Moved to %(stage)s.")
REOPENED = _("Reopened in %(stage)s.")
CLOSED = _("Closed: %(stage)s.")
MEMBER_ADDED = _("%(name)s joined the team.")
MEMBER_REMOVED = _("%(name)s left the team.")
PARTNER_ADDED = _("Partner %(name)s added.")
PARTNER_REMOVED = _("Partner %(name)s removed.")
PLAN_SAVED = _("Plan step “%(name)s” saved.")
FOLLOW_UP_LOGGED = _("Work record “%(subject)s” logged.")
TODO_ADDED = _("To-do “%(title)s” added.")
TODO_DONE = _("To-do “%(title)s” done.")
COMMENT_POSTED = _("Message posted.")
PRODUCT_SAVED = _("Product %(name)s on the deal.")
PRODUCT_REMOVED = _("Product %(name)s removed.")
EVALUATED = _("Qualified: score %(score)s, grade %(grade)s.")
REASSIGNED = _("The deal now belongs to %(name)s.")
RELEASED = _("The deal is back in the pool.")
NOT_SAVED = _("Nothing was changed: see the errors below.")
NOT_ON_DEAL = _("This is not on the deal.")


def deal_url(deal_or_pk, anchor: str = "") -> str:
    pk = getattr(deal_or_pk, "pk", deal_or_pk)
    url = reverse("projects:opportunity:detail", kwargs={"pk": pk})
    return f"{url}#{anchor}" if anchor else url


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def stage_path(deal: Opportunity, stages: list[Stage]) -> tuple[list[dict], list[dict]]:
    """The process's open stages marked done / current / ahead, and the
    closing stages (won, lost, abandoned) with the current one marked."""
    current = deal.stage
    path_steps = []
    for stage in stages:
        if not stage.is_open or (not stage.is_active and stage.pk != current.pk):
            continue
        if stage.pk == current.pk:
            state = "current"
        elif current.is_open:
            state = "done" if stage.order < current.order else "ahead"
        else:
            state = "done" if current.kind == Stage.Kind.WON else "ahead"
        path_steps.append({"stage": stage, "state": state})
    closing = [
        {"stage": stage, "state": "current" if stage.pk == current.pk else "ahead"}
        for stage in stages
        if not stage.is_open
    ]
    return path_steps, closing


def _people(deal: Opportunity, members, user) -> list[tuple[int, str]]:
    """Who a to-do can be given to: the owner, the team and oneself."""
    people = {}
    if deal.owner_id:
        people[deal.owner_id] = _person(deal.owner)
    for member in members:
        people.setdefault(member.user_id, _person(member.user))
    people.setdefault(user.pk, _person(user))
    return list(people.items())


def _member_role(members, user) -> str | None:
    return next((member.role for member in members if member.user_id == user.pk), None)


def workspace_context(request, deal: Opportunity, **bound) -> dict:
    """Everything the deal page shows. ``bound`` replaces the empty form of
    the same name with one that came back with errors."""
    user = request.user
    ws = selectors.deal_workspace(user=user, opportunity=deal)
    today = timezone.localdate()
    rights = deal_rights(user, deal, member_role=_member_role(ws.members, user))
    can_change = user.has_perm("projects.change_opportunity") and rights.act
    can_assign = user.has_perm("projects.assign_opportunity") and rights.take
    path_steps, closing_steps = stage_path(deal, ws.stages)
    people = _people(deal, ws.members, user)

    follow_up_form = FollowUpForm(prefix="fu")
    follow_up_form.fields["contacts"].choices = [(c.pk, c.name) for c in ws.customer_contacts]
    forms = {
        "move_form": MoveForm(
            prefix="move", stages=ws.stages, loss_reasons=ws.loss_reasons, current=deal.stage
        ),
        "member_form": MemberForm(prefix="member", colleagues=selectors.colleague_choices()),
        "partner_form": PartnerForm(prefix="partner", partners=selectors.partner_choices(user)),
        "plan_form": PlanItemForm(
            prefix="plan",
            stages=ws.open_stages,
            initial={"planned_start": today, "planned_end": today, "order": len(ws.plan_items) + 1},
        ),
        "follow_up_form": follow_up_form,
        "todo_form": TodoForm(
            prefix="todo",
            people=people,
            initial={"assignee": user.pk, "due_date": today},
        ),
        "comment_form": CommentForm(prefix="comment"),
        "product_form": ProductLineForm(prefix="product", products=selectors.active_products()),
        "evaluation_form": EvaluationForm(prefix="q", questions=ws.questions),
        "reassign_form": (
            ReassignForm(
                prefix="reassign",
                employees=selectors.employee_choices(user).exclude(user_id=deal.owner_id),
            )
            if can_assign and deal.is_open
            else None
        ),
    }
    forms.update(bound)
    return {
        "deal": deal,
        "customer": deal.customer,
        "ws": ws,
        "path_steps": path_steps,
        "closing_steps": closing_steps,
        "rotting": selectors.is_rotting(deal, now=timezone.now()),
        "gantt": (
            chart_html(
                gantt_figure(ws.plan_items, today=today),
                height=gantt_height(ws.plan_items),
                testid="gantt",
            )
            if ws.plan_items
            else None
        ),
        "chart_scripts": chart_scripts(),
        "flow": stage_flow(ws.plan_items, today=today),
        "plan_span": plan_span(ws.plan_items),
        "latest_evaluation": ws.evaluations[0] if ws.evaluations else None,
        "history": history_rows(deal, limit=20),
        "can_change": can_change,
        "can_assign": can_assign,
        "can_release": user.has_perm("projects.change_opportunity") and rights.take,
        "can_add_followup": user.has_perm("customers.add_followup"),
        "today": today,
        "page_title": deal.title,
        "panels": deal_panels.render_list(request, deal),
        **forms,
    }


def render_workspace(request, deal: Opportunity, *, status: int = 200, **bound):
    return render(
        request,
        "projects/opportunity_detail.html",
        workspace_context(request, deal, **bound),
        status=status,
    )


class DealWorkspaceView(View):
    """The deal page (the viewset's detail view)."""

    viewset = None
    model = Opportunity
    queryset = None

    def get(self, request, pk):
        deal = selectors.access_opportunity(user=request.user, pk=pk)
        return render_workspace(request, deal)


# --- Actions ------------------------------------------------------------------------


class DealActionView(View):
    """A POST on one deal; subclasses build a form and act on it."""

    model = Opportunity
    anchor = ""
    permission: str | None = "projects.change_opportunity"
    #: What the user must hold on this deal (``DealRights``): "act" to work
    #: it, "take" to decide who owns it, None to take part (whoever sees it).
    right: str | None = "act"
    form_name = ""

    def dispatch(self, request, *args, **kwargs):
        self.deal = selectors.access_opportunity(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return HttpResponseRedirect(deal_url(self.deal, self.anchor))

    def check_rights(self, request) -> None:
        """403 before any form is read: seeing a deal is not acting on it."""
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied
        if self.right and not getattr(deal_rights(request.user, self.deal), self.right):
            raise PermissionDenied

    def post(self, request, pk):
        self.check_rights(request)
        form = self.build_form(request.POST)
        if form.is_valid():
            try:
                message = self.act(form)
            except ValidationError as error:
                add_errors(form, error)
            else:
                if message:
                    messages.success(request, message)
                return HttpResponseRedirect(self.success_url())
        return self.refused(form)

    def success_url(self) -> str:
        return deal_url(self.deal, self.anchor)

    def refused(self, form):
        messages.error(self.request, NOT_SAVED)
        return render_workspace(self.request, self.deal, status=400, **{self.form_name: form})

    def build_form(self, data):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def act(self, form) -> str:  # pragma: no cover
        raise NotImplementedError


def _stages_of(deal: Opportunity) -> list[Stage]:
    return list(Stage.objects.filter(process_id=deal.process_id).order_by("order", "id"))


class MoveView(DealActionView):
    """Move the deal to any stage of its process, close it, or reopen it."""

    anchor = "stage"
    form_name = "move_form"

    def build_form(self, data):
        return MoveForm(
            data,
            prefix="move",
            stages=_stages_of(self.deal),
            loss_reasons=list(LossReason.objects.filter(is_active=True)),
            current=self.deal.stage,
        )

    def act(self, form) -> str:
        was_open = self.deal.is_open
        deal = services.opportunity_move(
            opportunity=self.deal,
            to_stage=form.cleaned_data["to_stage"],
            loss_reason=form.cleaned_data.get("loss_reason"),
            note=form.cleaned_data.get("note") or "",
            by=self.request.user,
        )
        if not was_open:
            return REOPENED % {"stage": deal.stage}
        return (MOVED if deal.is_open else CLOSED) % {"stage": deal.stage}


class MemberAddView(DealActionView):
    anchor = "team"
    form_name = "member_form"

    def build_form(self, data):
        return MemberForm(data, prefix="member", colleagues=selectors.colleague_choices())

    def act(self, form) -> str:
        member = services.member_add(
            opportunity=self.deal,
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
            by=self.request.user,
        )
        return MEMBER_ADDED % {"name": _person(member.user)}


class _RemoveView(DealActionView):
    """Remove something named by its id in ``field``."""

    field = ""

    def post(self, request, pk):
        self.check_rights(request)
        try:
            key = int(request.POST.get(self.field, ""))
        except ValueError:
            raise Http404(NOT_ON_DEAL) from None
        message = self.remove(key)
        messages.success(request, message)
        return HttpResponseRedirect(deal_url(self.deal, self.anchor))


class MemberRemoveView(_RemoveView):
    anchor = "team"
    field = "user"

    def remove(self, key: int) -> str:
        member = self.deal.members.select_related("user").filter(user_id=key).first()
        if member is None:
            raise Http404(NOT_ON_DEAL)
        services.member_remove(opportunity=self.deal, user=member.user, by=self.request.user)
        return MEMBER_REMOVED % {"name": _person(member.user)}


class PartnerAddView(DealActionView):
    anchor = "team"
    form_name = "partner_form"

    def build_form(self, data):
        return PartnerForm(
            data, prefix="partner", partners=selectors.partner_choices(self.request.user)
        )

    def act(self, form) -> str:
        link = services.partner_add(
            opportunity=self.deal,
            partner=form.cleaned_data["partner"],
            role=form.cleaned_data["role"],
            note=form.cleaned_data.get("note") or "",
            by=self.request.user,
        )
        return PARTNER_ADDED % {"name": link.partner.name}


class PartnerRemoveView(_RemoveView):
    anchor = "team"
    field = "partner"

    def remove(self, key: int) -> str:
        link = self.deal.partners.select_related("partner").filter(partner_id=key).first()
        if link is None:
            raise Http404(NOT_ON_DEAL)
        services.partner_remove(opportunity=self.deal, partner=key, by=self.request.user)
        return PARTNER_REMOVED % {"name": link.partner.name}


class PlanItemView(DealActionView):
    """Add a step to the stage plan, or edit one (``item``): a GET with
    ``?item=<id>`` shows the step's form alone."""

    anchor = "plan"
    form_name = "plan_form"

    def _item(self, raw) -> StagePlan | None:
        if not raw:
            return None
        try:
            return StagePlan.objects.select_related("stage").get(opportunity=self.deal, pk=raw)
        except (StagePlan.DoesNotExist, ValueError, TypeError):
            raise Http404(NOT_ON_DEAL) from None

    def get(self, request, pk):
        self.check_rights(request)
        item = self._item(request.GET.get("item"))
        if item is None:
            return HttpResponseRedirect(deal_url(self.deal, self.anchor))
        form = PlanItemForm(
            prefix="plan",
            instance=item,
            stages=[s for s in _stages_of(self.deal) if s.is_open],
            initial={"item": item.pk},
        )
        return self._render_alone(form, item)

    def _render_alone(self, form, item, status=200):
        return render(
            self.request,
            "projects/plan_item_form.html",
            {
                "form": form,
                "deal": self.deal,
                "item": item,
                "page_title": gettext("Edit plan step"),
            },
            status=status,
        )

    def build_form(self, data):
        self.item = self._item(data.get("plan-item"))
        return PlanItemForm(
            data,
            prefix="plan",
            instance=self.item or StagePlan(opportunity=self.deal),
            stages=[s for s in _stages_of(self.deal) if s.is_open],
        )

    def act(self, form) -> str:
        item = services.plan_item_save(
            opportunity=self.deal, item=self.item, by=self.request.user, **form.service_fields()
        )
        return PLAN_SAVED % {"name": item.name}

    def refused(self, form):
        if self.item is not None:
            messages.error(self.request, NOT_SAVED)
            return self._render_alone(form, self.item, status=400)
        return super().refused(form)


class FollowUpAddView(DealActionView):
    """A work record: a follow-up of the customer linked to the deal."""

    anchor = "work"
    form_name = "follow_up_form"
    permission = "customers.add_followup"
    right = None  # every member logs the work they do on the deal

    def build_form(self, data):
        contacts = (
            Contact.objects.visible_to(self.request.user)
            .filter(customer_id=self.deal.customer_id, is_active=True)
            .order_by("name")
        )
        return FollowUpForm(data, prefix="fu", contacts=contacts)

    def act(self, form) -> str:
        fields = dict(form.cleaned_data)
        contacts = list(fields.pop("contacts", []))
        follow_up = services.deal_follow_up_create(
            opportunity=self.deal, by=self.request.user, contacts=contacts, **fields
        )
        return FOLLOW_UP_LOGGED % {"subject": follow_up.subject}


class TodoAddView(DealActionView):
    anchor = "todos"
    form_name = "todo_form"
    permission = None  # whoever sees the deal may give its team a to-do
    right = None

    def build_form(self, data):
        members = list(self.deal.members.select_related("user"))
        return TodoForm(data, prefix="todo", people=_people(self.deal, members, self.request.user))

    def act(self, form) -> str:
        todo = services.todo_create(
            opportunity=self.deal,
            by=self.request.user,
            title=form.cleaned_data["title"],
            due_date=form.cleaned_data["due_date"],
            assignee=User.objects.get(pk=form.cleaned_data["assignee"]),
        )
        return TODO_ADDED % {"title": todo.title}


class TodoDoneView(_RemoveView):
    """Complete a to-do of the deal (``todo``); ``next`` may lead back to
    the start page."""

    anchor = "todos"
    field = "todo"
    permission = None
    right = None

    def remove(self, key: int) -> str:
        todo = Todo.objects.filter(opportunity=self.deal, pk=key).first()
        if todo is None:
            raise Http404(NOT_ON_DEAL)
        services.todo_complete(todo=todo, by=self.request.user)
        return TODO_DONE % {"title": todo.title}

    def post(self, request, pk):
        response = super().post(request, pk)
        return HttpResponseRedirect(safe_next(request, response.url))


class CommentAddView(DealActionView):
    anchor = "discussion"
    form_name = "comment_form"
    permission = None  # whoever sees the deal takes part in its discussion
    right = None

    def build_form(self, data):
        return CommentForm(data, prefix="comment")

    def act(self, form) -> str:
        services.comment_add(
            opportunity=self.deal, by=self.request.user, body=form.cleaned_data["body"]
        )
        return COMMENT_POSTED


class ProductAddView(DealActionView):
    anchor = "products"
    form_name = "product_form"

    def build_form(self, data):
        return ProductLineForm(data, prefix="product", products=selectors.active_products())

    def act(self, form) -> str:
        line = services.product_line_save(
            opportunity=self.deal,
            product=form.cleaned_data["product"],
            quantity=form.cleaned_data["quantity"],
            unit_price=form.cleaned_data.get("unit_price"),
            by=self.request.user,
        )
        return PRODUCT_SAVED % {"name": line.product}


class ProductRemoveView(_RemoveView):
    anchor = "products"
    field = "product"

    def remove(self, key: int) -> str:
        line = self.deal.product_lines.select_related("product").filter(product_id=key).first()
        if line is None:
            raise Http404(NOT_ON_DEAL)
        services.product_line_remove(opportunity=self.deal, product=key, by=self.request.user)
        return PRODUCT_REMOVED % {"name": line.product}


class EvaluateView(DealActionView):
    """Answer the process's questionnaire; earlier evaluations are kept."""

    anchor = "qualification"
    form_name = "evaluation_form"

    def build_form(self, data):
        questions = list(
            Question.objects.filter(process_id=self.deal.process_id, is_active=True)
            .prefetch_related(
                Prefetch("options", queryset=QuestionOption.objects.order_by("order", "id"))
            )
            .order_by("order", "id")
        )
        return EvaluationForm(data, prefix="q", questions=questions)

    def act(self, form) -> str:
        evaluation = services.evaluation_submit(
            opportunity=self.deal, by=self.request.user, answers=form.answers()
        )
        return EVALUATED % {"score": evaluation.score, "grade": evaluation.grade or "—"}


class ReassignView(DealActionView):
    """A manager gives an owned deal to another rep (OPP-10: history kept)."""

    anchor = "summary"
    form_name = "reassign_form"
    permission = "projects.assign_opportunity"
    right = "take"

    def build_form(self, data):
        return ReassignForm(
            data,
            prefix="reassign",
            employees=selectors.employee_choices(self.request.user),
        )

    def act(self, form) -> str:
        employee = form.cleaned_data["owner"]
        services.opportunity_assign(
            opportunity_ids=[self.deal.pk],
            owner=employee.user,
            by=self.request.user,
            reason=form.cleaned_data.get("reason") or "",
        )
        return REASSIGNED % {"name": _person(employee.user)}


class ReleaseView(DealActionView):
    """Put the deal back into the pool of its department."""

    anchor = "summary"
    right = "take"

    def post(self, request, pk):
        self.check_rights(request)
        try:
            services.opportunity_release(opportunity=self.deal, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(deal_url(self.deal, self.anchor))
        messages.success(request, RELEASED)
        if Opportunity.objects.visible_to(request.user).filter(pk=self.deal.pk).exists():
            return HttpResponseRedirect(deal_url(self.deal, self.anchor))
        return HttpResponseRedirect(reverse("projects:pool:index"))


urlpatterns = [
    path("<int:pk>/move/", MoveView.as_view(), name="move"),
    path("<int:pk>/members/add/", MemberAddView.as_view(), name="member_add"),
    path("<int:pk>/members/remove/", MemberRemoveView.as_view(), name="member_remove"),
    path("<int:pk>/partners/add/", PartnerAddView.as_view(), name="partner_add"),
    path("<int:pk>/partners/remove/", PartnerRemoveView.as_view(), name="partner_remove"),
    path("<int:pk>/plan/", PlanItemView.as_view(), name="plan_item"),
    path("<int:pk>/follow-ups/add/", FollowUpAddView.as_view(), name="follow_up_add"),
    path("<int:pk>/todos/add/", TodoAddView.as_view(), name="todo_add"),
    path("<int:pk>/todos/done/", TodoDoneView.as_view(), name="todo_done"),
    path("<int:pk>/comments/add/", CommentAddView.as_view(), name="comment_add"),
    path("<int:pk>/products/add/", ProductAddView.as_view(), name="product_add"),
    path("<int:pk>/products/remove/", ProductRemoveView.as_view(), name="product_remove"),
    path("<int:pk>/evaluate/", EvaluateView.as_view(), name="evaluate"),
    path("<int:pk>/reassign/", ReassignView.as_view(), name="reassign"),
    path("<int:pk>/release/", ReleaseView.as_view(), name="release"),
]
