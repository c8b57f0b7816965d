"""The pipeline board (OPP-8): a column per open stage of a process, cards
of the deals in it, and a move endpoint that calls the one stage service.

The page costs the same number of queries with ten deals or a million: one
``GROUP BY`` for every column's count and sum, one ``UNION ALL`` of
per-column ``LIMIT`` queries for the cards. A column shows its first
``CARDS_PER_COLUMN`` cards; "more" opens that column alone, a page at a
time. Cards move by drag and drop (``static/projects/js/board.js`` posts to
the move endpoint) or, without JavaScript, with the small form on each card.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from crm.paging import page_number
from crm.redirects import safe_next
from projects.deals import selectors, services
from projects.deals.forms import EmployeeChoiceField
from projects.deals.permissions import deal_rights
from projects.deals.views_workspace import (
    CLOSED,
    MOVED,
)
from projects.models import LossReason, Opportunity, Process, Stage

CHOOSE_STAGE = _("Choose a stage to move the deal to.")
UNKNOWN_LOSS_REASON = _("Choose a loss reason from the list.")


class BoardFilterForm(forms.Form):
    process = forms.ModelChoiceField(
        queryset=None, required=False, empty_label=None, label=_("Sales process")
    )
    owner = EmployeeChoiceField(queryset=None, required=False, label=_("Owner"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = Process.objects.filter(is_active=True)
        self.fields["owner"].queryset = selectors.employee_choices(user)


def move_options(stages: list[Stage]) -> dict[int, str]:
    """The ``<option>`` list of each card's move form, per current stage,
    built once per page instead of once per card."""
    return {
        current.pk: format_html_join(
            "", '<option value="{}">{}</option>', [(s.pk, str(s)) for s in stages if s != current]
        )
        for current in stages
    }


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


class BoardView(View):
    viewset = None
    model = None

    def get(self, request):
        user = request.user
        form = BoardFilterForm(request.GET or {}, user=user)
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        process = data.get("process") or selectors.default_process()
        owner = data.get("owner")
        owner_id = owner.user_id if owner else None
        stages = (
            list(Stage.objects.filter(process=process).order_by("order", "id")) if process else []
        )
        open_stages = [s for s in stages if s.is_open and s.is_active]
        query = request.GET.copy()
        for key in ("stage", "page"):
            query.pop(key, None)
        query["process"] = process.pk if process else ""
        active = [s for s in stages if s.is_active]
        context = {
            "form": form,
            "process": process,
            "stages": active,
            "move_options": move_options(active),
            "loss_reasons": list(LossReason.objects.filter(is_active=True)),
            "filters": query.urlencode(),
            "now": timezone.now(),
            "can_move": user.has_perm("projects.change_opportunity"),
            "page_title": gettext("Pipeline board"),
            "here": request.get_full_path(),
        }
        column_stage = next((s for s in open_stages if str(s.pk) == request.GET.get("stage")), None)
        if column_stage is not None:
            page = page_number(request.GET.get("page"))
            cards, has_next = selectors.column_page(
                user=user, process=process, stage=column_stage, page=page, owner_id=owner_id
            )
            context.update(column_stage=column_stage, cards=cards, page=page, has_next=has_next)
            return render(request, "projects/board_column.html", context)
        columns = (
            selectors.board_columns(
                user=user, process=process, stages=open_stages, owner_id=owner_id
            )
            if process
            else []
        )
        context["columns"] = columns
        return render(request, "projects/board.html", context)


class BoardMoveView(View):
    """Move a card: POST ``stage`` (and ``loss_reason`` for a lost deal).
    Answers JSON to the board's script, else redirects back to the board
    with a message. Outside the user's scope: 404, nothing changed."""

    model = Opportunity

    def dispatch(self, request, *args, **kwargs):
        self.deal = selectors.access_opportunity(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return HttpResponseRedirect(self._back())

    def _back(self) -> str:
        return safe_next(
            self.request, reverse("projects:board:index") + f"?process={self.deal.process_id}"
        )

    def _refuse(self, message, status=400):
        message = str(message)
        if _wants_json(self.request):
            return JsonResponse({"ok": False, "error": message}, status=status)
        messages.error(self.request, message)
        return HttpResponseRedirect(self._back())

    def post(self, request, pk):
        if not request.user.has_perm("projects.change_opportunity"):
            raise PermissionDenied
        if not deal_rights(request.user, self.deal).act:  # seen through the team only
            raise PermissionDenied
        stage = Stage.objects.filter(pk=_int(request.POST.get("stage"))).first()
        if stage is None:
            return self._refuse(CHOOSE_STAGE)
        loss_reason = None
        if request.POST.get("loss_reason"):
            loss_reason = LossReason.objects.filter(
                pk=_int(request.POST["loss_reason"]), is_active=True
            ).first()
            if loss_reason is None:
                return self._refuse(UNKNOWN_LOSS_REASON)
        try:
            deal = services.opportunity_move(
                opportunity=self.deal,
                to_stage=stage,
                loss_reason=loss_reason,
                note=(request.POST.get("note") or "")[:300],
                by=request.user,
            )
        except ValidationError as error:
            return self._refuse(" ".join(error.messages))
        message = str((MOVED if deal.is_open else CLOSED) % {"stage": deal.stage})
        if _wants_json(request):
            return JsonResponse({"ok": True, "stage": deal.stage_id, "message": message})
        messages.success(request, message)
        return HttpResponseRedirect(self._back())


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


urlpatterns = [path("<int:pk>/move/", BoardMoveView.as_view(), name="move")]
