"""Stage configuration from the app's pages: an admin copies a stage's
success rate, read in a funnel, into its default win probability ("update
the funnel's success rate"). The funnel only reads; this writes, through
``stage_set_probability``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from crm.redirects import safe_next
from projects.deals.services import stage_set_probability
from projects.models import Stage

NO_SUCCESS_RATE = _("This stage has no success rate in the period (no closed deals).")
PROBABILITY_UPDATED = _(
    "The default probability of %(stage)s is now %(probability)s%% (the funnel's success rate)."
)


class StageProbabilityView(View):
    """POST ``stage`` and ``probability`` (0–100): the stage's default win
    probability becomes it. Only for those who may change stages (403)."""

    def post(self, request):
        if not request.user.has_perm("projects.change_stage"):
            raise PermissionDenied
        back = safe_next(request, reverse("projects:opportunity:index"))
        stage = get_object_or_404(Stage, pk=request.POST.get("stage") or 0)
        raw = (request.POST.get("probability") or "").strip()
        if not raw.isdigit():
            messages.error(request, NO_SUCCESS_RATE)
            return HttpResponseRedirect(back)
        try:
            stage = stage_set_probability(stage=stage, probability=int(raw), by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(back)
        messages.success(
            request, PROBABILITY_UPDATED % {"stage": stage, "probability": stage.probability}
        )
        return HttpResponseRedirect(back)
