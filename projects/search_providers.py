"""Opportunities in the one-box search (CUS-9): deals whose title contains
every word typed, within the user's data scope.

Titles are short and the scope predicate is indexed, so a substring match
over the user's visible deals is enough here; the exact title first, then
titles that start with the query, then the shorter (closer) ones.
"""

from __future__ import annotations

from django.db.models import BooleanField, Case, F, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from crm.search import SearchHit, SearchProvider, search_providers
from projects.models import Opportunity


class OpportunitySearchProvider(SearchProvider):
    key = "opportunities"
    title = _("Opportunities")
    order = 30
    permission = "projects.view_opportunity"

    def queryset(self, *, user, query: str):
        words = query.split()
        if not words:
            return None
        queryset = Opportunity.objects.visible_to(user)
        for word in words:
            queryset = queryset.filter(title__icontains=word)
        exact = Case(
            When(title=query, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
        starts = Case(
            When(title__startswith=query, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        return (
            queryset.select_related("customer", "stage")
            .only(
                "id",
                "title",
                "status",
                "customer__id",
                "customer__name",
                "stage__id",
                "stage__name",
                "stage__name_en",
            )
            .annotate(_exact=exact, _starts=starts)
            .order_by(F("_exact").desc(), F("_starts").desc(), Length("title"), "title", "id")
        )

    def hit(self, obj: Opportunity) -> SearchHit:
        return SearchHit(
            title=obj.title,
            url=obj.get_absolute_url(),
            detail=" · ".join(str(d) for d in (obj.customer.name, obj.stage) if d),
        )


def register() -> None:
    search_providers.register(OpportunitySearchProvider())
