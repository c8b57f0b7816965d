"""Admin of the sales configuration (processes, stages, questionnaires, loss
reasons, products) and of deals. Deals change stage only through the stage
service, so stage and status are read-only here."""

from django.contrib import admin
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from projects.models import (
    Contract,
    GradeThreshold,
    LossReason,
    Opportunity,
    OpportunityMember,
    OpportunityPartner,
    Process,
    Product,
    Question,
    QuestionOption,
    Quote,
    SalesOrder,
    Stage,
    StageEvent,
)


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["order", "code", "name", "name_en", "kind", "probability", "rot_days", "is_active"]
    ordering = ["order"]

    def has_delete_permission(self, request, obj=None):
        return False  # stages in use are deactivated, not deleted (events point at them)


class GradeThresholdInline(admin.TabularInline):
    model = GradeThreshold
    extra = 0


@admin.register(Process)
class ProcessAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "kind", "is_active", "order"]
    list_editable = ["is_active", "order"]
    inlines = [StageInline, GradeThresholdInline]


class QuestionOptionInline(admin.TabularInline):
    model = QuestionOption
    extra = 1
    fields = ["order", "text", "text_en", "points"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "text_en", "process", "order", "is_active"]
    list_filter = ["process", "is_active"]
    list_editable = ["order", "is_active"]
    inlines = [QuestionOptionInline]


@admin.register(LossReason)
class LossReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "category", "unit", "list_price", "tax_rate", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["code", "name"]


class MemberInline(admin.TabularInline):
    model = OpportunityMember
    extra = 0
    autocomplete_fields = ["user"]


class PartnerInline(admin.TabularInline):
    model = OpportunityPartner
    extra = 0
    raw_id_fields = ["partner"]


class StageEventInline(admin.TabularInline):
    model = StageEvent
    fields = ["at", "from_stage", "to_stage", "left_at", "next_stage", "by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(GuardedModelAdmin, SimpleHistoryAdmin):
    list_display = ["title", "customer", "stage", "status", "expected_amount", "owner", "branch"]
    list_filter = ["process", "status", "branch"]
    list_select_related = ["customer", "stage", "owner", "branch"]
    search_fields = ["title"]
    raw_id_fields = ["customer", "contacts", "follow_ups"]
    readonly_fields = [
        "owner",  # assigned in the app, which moves department and branch with it
        "process",
        "stage",
        "status",
        "stage_entered_at",
        "closed_at",
        "loss_reason",
        "score",
        "grade",
        "department",
        "branch",
        "created_at",
        "updated_at",
    ]
    inlines = [MemberInline, PartnerInline, StageEventInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # deals are opened in the app (opportunity_create writes the first event)


class ReadOnlyDocumentAdmin(GuardedModelAdmin, SimpleHistoryAdmin):
    """Documents are written by their services and flows in the app; admin
    shows them, shares them (object permissions) and their history."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Quote)
class QuoteAdmin(ReadOnlyDocumentAdmin):
    list_display = ["number", "version", "customer", "status", "total", "owner", "branch"]
    list_filter = ["status", "branch"]
    list_select_related = ["customer", "owner", "branch"]
    search_fields = ["number"]


@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnlyDocumentAdmin):
    list_display = ["number", "customer", "status", "order_date", "total", "owner", "branch"]
    list_filter = ["status", "branch"]
    list_select_related = ["customer", "owner", "branch"]
    search_fields = ["number"]


@admin.register(Contract)
class ContractAdmin(ReadOnlyDocumentAdmin):
    list_display = ["number", "title", "customer", "status", "amount", "owner", "branch"]
    list_filter = ["status", "branch"]
    list_select_related = ["customer", "owner", "branch"]
    search_fields = ["number", "title"]
