"""Attachments in Django admin: a read-only list for administrators (who see
all records). Files are downloaded through the scoped view, never by URL;
archiving goes through the card (the service)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm.attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "size",
        "content_type",
        "object_id",
        "uploaded_by",
        "uploaded_at",
        "extraction",
        "is_archived",
    ]
    list_filter = ["kind", "extraction", "is_archived", "content_type"]
    list_select_related = ["content_type", "uploaded_by"]
    search_fields = ["name"]
    date_hierarchy = "uploaded_at"
    exclude = ["file", "search_vector", "text"]
    readonly_fields = [
        "download",
        "name",
        "size",
        "kind",
        "mime_type",
        "content_type",
        "object_id",
        "uploaded_by",
        "uploaded_at",
        "extraction",
        "extraction_error",
        "extracted_at",
        "owner",
        "department",
        "branch",
        "is_archived",
        "archived_at",
        "archived_by",
    ]

    @admin.display(description=_("file"))
    def download(self, obj: Attachment) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("attachment_download", kwargs={"pk": obj.pk}), obj.name
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
