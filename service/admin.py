"""Admin of the service configuration (SLA rules, care rules) and read-only
views of requests and care tasks: their status changes only through the
services (``service.services``, ``service.care``)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from service.care import care_tasks_generate
from service.models import CareRule, CareTask, ServiceEvent, ServiceRequest, SlaRule


@admin.register(SlaRule)
class SlaRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "request_type",
        "priority",
        "value_grade",
        "branch",
        "response_hours",
        "resolve_hours",
        "position",
        "is_active",
    ]
    list_editable = ["response_hours", "resolve_hours", "position", "is_active"]
    list_filter = ["is_active", "request_type", "priority", "branch"]


@admin.register(CareRule)
class CareRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "days_after",
        "every_months",
        "lead_days",
        "customer_type",
        "value_grade",
        "branch",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "branch"]
    actions = ["generate_now"]

    @admin.action(description=_("Make the care to-dos of the selected rules now"))
    def generate_now(self, request, queryset):
        made = care_tasks_generate(rules=list(queryset.filter(is_active=True)))
        self.message_user(request, _("%(count)d care to-dos made.") % {"count": made})


class ServiceEventInline(admin.TabularInline):
    model = ServiceEvent
    extra = 0
    fields = ["at", "kind", "from_status", "to_status", "by", "assignee", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(GuardedModelAdmin, SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "subject",
        "request_type",
        "priority",
        "status",
        "customer",
        "owner",
        "branch",
        "resolve_due_at",
    ]
    list_filter = ["status", "request_type", "priority", "branch"]
    search_fields = ["number", "subject", "customer__name"]
    list_select_related = ["customer", "owner", "branch"]
    inlines = [ServiceEventInline]


@admin.register(CareTask)
class CareTaskAdmin(ReadOnlyAdmin):
    list_display = ["title", "customer", "contact", "due_date", "status", "owner", "rule"]
    list_filter = ["status", "rule"]
    search_fields = ["title", "customer__name"]
    list_select_related = ["customer", "contact", "owner", "rule"]
