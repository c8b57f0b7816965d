"""Admin: categories and tags are edited here; articles, groups and
announcements are written on their pages (through the services) and only
looked at -- or deleted by moderators -- here."""

from django.contrib import admin

from knowledge.models import (
    Announcement,
    AnnouncementReceipt,
    Article,
    ArticleVersion,
    Category,
    DiscussionGroup,
    GroupMembership,
    Tag,
    Topic,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["name", "name_en"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, not edited: the pages of the app write through the services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ArticleVersionInline(admin.TabularInline):
    model = ArticleVersion
    fields = ["number", "title", "status", "saved_by", "saved_at", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "category", "status", "audience", "author", "published_at"]
    list_filter = ["status", "kind", "category", "audience"]
    list_select_related = ["category", "author"]
    search_fields = ["title"]
    inlines = [ArticleVersionInline]
    exclude = ["search_vector"]


class MembershipInline(admin.TabularInline):
    model = GroupMembership
    fields = ["user", "role", "joined_at"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DiscussionGroup)
class DiscussionGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "created_by", "created_at", "is_archived"]
    list_select_related = ["created_by"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Topic)
class TopicAdmin(ReadOnlyAdmin):
    list_display = ["title", "group", "content_type", "object_id", "author", "post_count"]
    list_select_related = ["group", "author", "content_type"]
    search_fields = ["title"]


class ReceiptInline(admin.TabularInline):
    model = AnnouncementReceipt
    fields = ["user", "branch", "read_at"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    list_display = ["title", "author", "to_all_branches", "published_at"]
    list_select_related = ["author"]
    search_fields = ["title"]
    inlines = [ReceiptInline]
