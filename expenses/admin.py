from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from expenses.models import ExpenseCategory


@admin.register(ExpenseCategory)
class ExpenseCategoryAdmin(SimpleHistoryAdmin):
    list_display = ("name", "name_en", "order", "is_active")
    list_editable = ("order", "is_active")
