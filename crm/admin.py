from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from simple_history.admin import SimpleHistoryAdmin

from crm.models import Branch, Department, Employee, Role

User = get_user_model()


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "city", "is_headquarters"]
    search_fields = ["code", "name", "name_en", "city"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "branch", "parent", "path"]
    list_filter = ["branch"]
    list_select_related = ["branch", "parent"]
    search_fields = ["name", "name_en"]
    autocomplete_fields = ["parent"]


@admin.register(Employee)
class EmployeeAdmin(SimpleHistoryAdmin):
    list_display = ["user", "department", "title", "manager", "is_active", "language"]
    list_filter = ["is_active", "department__branch", "language"]
    list_select_related = ["user", "department", "manager__user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "title"]
    autocomplete_fields = ["user", "department", "manager"]


class RoleInline(admin.StackedInline):
    model = Role
    can_delete = False
    extra = 0


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    """Roles are groups with a data scope; the scope is edited here."""

    inlines = [RoleInline]
    list_display = ["name", "role"]
    list_select_related = ["role"]


class EmployeeInline(admin.StackedInline):
    model = Employee
    fk_name = "user"
    can_delete = False
    extra = 0
    autocomplete_fields = ["department", "manager"]


admin.site.unregister(User)


@admin.register(User)
class CrmUserAdmin(UserAdmin):
    inlines = [EmployeeInline]


from crm.attachments import admin as attachments_admin  # noqa: E402, F401 - registers it
