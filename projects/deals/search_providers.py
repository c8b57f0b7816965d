"""Opportunities in the one-box search (CUS-9): deals whose title contains
every word typed, within the user's data scope.

A substring match has no index to seek, so the ranking (exact title first,
then titles starting with the query, then the shorter ones) is applied to
the newest ``CANDIDATES`` matches only: PostgreSQL walks the primary key
backwards and stops as soon as it has them, so a word that is in every
title costs a few milliseconds, not a sort of every match. Words without
letter case (Chinese) use ``LIKE``, which is several times cheaper than
``ILIKE`` on a scan.
"""

from __future__ import annotations

from django.db.models import BooleanField, Case, F, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from crm.search import SearchHit, SearchProvider, search_providers
from projects.models import Opportunity

#: How many of the newest matching deals are ranked.
CANDIDATES = 500


def _title_has(word: str) -> dict:
    cased = word.lower() != word.upper()
    return {"title__icontains" if cased else "title__contains": word}


class OpportunitySearchProvider(SearchProvider):
    key = "opportunities"
    title = _("Opportunities")
    order = 30
    permission = "projects.view_opportunity"

    def queryset(self, *, user, query: str):
        words = query.split()
        if not words:
            return None
        matches = Opportunity.objects.visible_to(user)
        for word in words:
            matches = matches.filter(**_title_has(word))
        candidates = matches.order_by("-id").values("pk")[:CANDIDATES]
        queryset = Opportunity.objects.filter(pk__in=candidates)
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
