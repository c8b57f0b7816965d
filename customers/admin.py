from django.contrib import admin
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from customers.models import Customer
from customers.services import customer_create, customer_update


@admin.register(Customer)
class CustomerAdmin(GuardedModelAdmin, SimpleHistoryAdmin):
    """Admins see every customer; "Object permissions" shares one with a user
    or group (guardian), "History" shows its changes."""

    list_display = ["name", "short_name", "industry", "region", "owner", "department", "branch"]
    list_filter = ["industry", "branch"]
    list_select_related = ["owner", "department", "branch"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["owner"]
    # Department and branch follow the owner (customers.services).
    readonly_fields = ["department", "branch", "created_at", "updated_at"]
    show_full_result_count = False  # no COUNT(*) over a million rows per page

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "owner":
            field.required = True
        return field

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            saved = customer_update(customer=obj, by=request.user, **fields)
        else:
            saved = customer_create(by=request.user, **fields)
        obj.pk = saved.pk
        obj.__dict__.update(saved.__dict__)
