from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from expenses.models import Budget, ExpenseCategory, ExpenseSettings


@admin.register(ExpenseCategory)
class ExpenseCategoryAdmin(SimpleHistoryAdmin):
    list_display = ("name", "name_en", "order", "is_active")
    list_editable = ("order", "is_active")


@admin.register(ExpenseSettings)
class ExpenseSettingsAdmin(SimpleHistoryAdmin):
    """One row: whether an over-budget claim is flagged or refused."""

    list_display = ("__str__", "over_budget")

    def has_add_permission(self, request):
        return not ExpenseSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Budget)
class BudgetAdmin(SimpleHistoryAdmin):
    list_display = ("department", "category", "period_kind", "starts_on", "ends_on", "amount")
    list_filter = ("period_kind", "category")
    raw_id_fields = ("opportunity",)
