"""The opportunity pool (机会池, OPP-2): unassigned deals of the user's
branch. Reps claim one; managers (``projects.assign_opportunity``) tick
several and give them to a rep, seeing each rep's open deals (one
aggregate query) to spread the work."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from projects.deals import selectors, services
from projects.deals.forms import AssignForm
from projects.deals.views_list import add_errors
from projects.models import Opportunity

PAGE_SIZE = 50
CLAIMED = _("“%(title)s” is yours now.")


class PoolView(View):
    viewset = None
    model = None

    def get(self, request):
        return self.render_pool(request)

    @staticmethod
    def render_pool(request, *, form=None, status=200):
        user = request.user
        can_assign = user.has_perm("projects.assign_opportunity")
        reps = selectors.assignable_reps(user) if can_assign else []
        if can_assign and form is None:
            form = AssignForm(reps=reps)
        chosen = set(form.data.getlist("ids")) if form is not None and form.is_bound else set()
        paginator = Paginator(selectors.pool_list(user=user), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        return render(
            request,
            "projects/pool.html",
            {
                "page_obj": page,
                "reps": reps,
                "form": form,
                "can_assign": can_assign,
                "can_claim": user.has_perm("projects.change_opportunity"),
                "chosen": chosen,
                "page_title": gettext("Opportunity pool"),
            },
            status=status,
        )


class AssignView(View):
    """Give the ticked deals to one rep; all or nothing."""

    def get(self, request):
        return HttpResponseRedirect(reverse("projects:pool:index"))

    def post(self, request):
        if not request.user.has_perm("projects.assign_opportunity"):
            raise PermissionDenied
        reps = selectors.assignable_reps(request.user)
        form = AssignForm(request.POST, reps=reps)
        if form.is_valid():
            rep = form.reps[form.cleaned_data["owner"]]
            try:
                count = services.opportunity_assign(
                    opportunity_ids=form.cleaned_data["ids"], owner=rep.user, by=request.user
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d deal assigned to %(name)s.",
                        "%(count)d deals assigned to %(name)s.",
                        count,
                    )
                    % {"count": count, "name": rep},
                )
                return HttpResponseRedirect(reverse("projects:pool:index"))
        return PoolView.render_pool(request, form=form, status=400)


class ClaimView(View):
    """A rep takes a deal from the pool. A deal the user may neither see nor
    claim is a 404."""

    model = Opportunity

    def dispatch(self, request, *args, **kwargs):
        self.deal = selectors.access_pooled_or_visible(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return HttpResponseRedirect(reverse("projects:pool:index"))

    def post(self, request, pk):
        if not request.user.has_perm("projects.change_opportunity"):
            raise PermissionDenied
        try:
            deal = services.opportunity_claim(opportunity=self.deal.pk, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(reverse("projects:pool:index"))
        messages.success(request, CLAIMED % {"title": deal.title})
        return HttpResponseRedirect(deal.get_absolute_url())


urlpatterns = [
    path("assign/", AssignView.as_view(), name="assign"),
    path("<int:pk>/claim/", ClaimView.as_view(), name="claim"),
]
