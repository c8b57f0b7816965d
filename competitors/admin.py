"""Admin of the competitor reference data (profiles, products, observed
prices) with history. Competition on deals and competitive orders are
read-only here: they change through ``competitors.services`` on the deal page
and the competitors area, within the user's scope."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from competitors.models import (
    CompetitiveOrder,
    Competitor,
    CompetitorProduct,
    DealCompetitor,
    PriceObservation,
)


class CompetitorProductInline(admin.TabularInline):
    model = CompetitorProduct
    fields = ["name", "our_product", "description"]
    extra = 0


@admin.register(Competitor)
class CompetitorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "website", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    inlines = [CompetitorProductInline]


@admin.register(CompetitorProduct)
class CompetitorProductAdmin(SimpleHistoryAdmin):
    list_display = ["name", "competitor", "our_product"]
    list_filter = ["competitor"]
    search_fields = ["name", "competitor__name"]
    list_select_related = ["competitor", "our_product"]


@admin.register(PriceObservation)
class PriceObservationAdmin(SimpleHistoryAdmin):
    list_display = ["product", "price", "observed_on", "source", "opportunity"]
    list_filter = ["product__competitor"]
    date_hierarchy = "observed_on"
    raw_id_fields = ["opportunity", "by"]
    list_select_related = ["product__competitor", "opportunity"]


class _ReadOnly(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DealCompetitor)
class DealCompetitorAdmin(_ReadOnly):
    list_display = ["opportunity", "competitor", "quote_amount", "threat", "won_deal"]
    list_filter = ["competitor", "threat", "won_deal"]
    list_select_related = ["opportunity", "competitor"]


@admin.register(CompetitiveOrder)
class CompetitiveOrderAdmin(_ReadOnly):
    list_display = ["competitor", "customer", "product", "amount", "won_on"]
    list_filter = ["competitor"]
    list_select_related = ["competitor", "customer", "product"]
