"""The Knowledge area of the UI (viewflow): articles, discussion groups,
announcements and the self-service search."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin

from crm.viewsets import CrmApplication
from knowledge import views_announcements, views_articles, views_groups, views_search


class ArticleViewset(AppMenuMixin, Viewset):
    title = _("Articles")
    icon = "menu_book"
    app_name = "articles"
    index_path = path("", views_articles.ArticleListView.as_view(), name="index")
    add_path = path("add/", views_articles.ArticleFormView.as_view(), name="add")
    detail_path = path("<int:pk>/", views_articles.ArticleDetailView.as_view(), name="detail")
    change_path = path("<int:pk>/edit/", views_articles.ArticleFormView.as_view(), name="change")
    versions_path = path(
        "<int:pk>/versions/", views_articles.ArticleVersionsView.as_view(), name="versions"
    )
    version_path = path(
        "<int:pk>/versions/<int:number>/",
        views_articles.ArticleVersionView.as_view(),
        name="version",
    )


class GroupViewset(AppMenuMixin, Viewset):
    title = _("Discussion groups")
    icon = "forum"
    app_name = "groups"
    index_path = path("", views_groups.GroupListView.as_view(), name="index")
    add_path = path("add/", views_groups.GroupCreateView.as_view(), name="add")
    detail_path = path("<int:pk>/", views_groups.GroupDetailView.as_view(), name="detail")
    members_path = path(
        "<int:pk>/members/", views_groups.GroupMembersView.as_view(), name="members"
    )
    topic_path = path("topics/<int:pk>/", views_groups.TopicDetailView.as_view(), name="topic")
    about_path = path(
        "about/<int:content_type_id>/<int:object_id>/",
        views_groups.SubjectTopicView.as_view(),
        name="about",
    )


class AnnouncementViewset(AppMenuMixin, Viewset):
    title = _("Announcements")
    icon = "campaign"
    app_name = "announcements"
    index_path = path("", views_announcements.AnnouncementListView.as_view(), name="index")
    add_path = path("add/", views_announcements.AnnouncementCreateView.as_view(), name="add")
    detail_path = path(
        "<int:pk>/", views_announcements.AnnouncementDetailView.as_view(), name="detail"
    )
    receipts_path = path(
        "<int:pk>/receipts/",
        views_announcements.AnnouncementReceiptsView.as_view(),
        name="receipts",
    )
    badge_path = path("badge/", views_announcements.announcement_badge, name="badge")


class SearchViewset(AppMenuMixin, Viewset):
    title = _("Self-service search")
    icon = "manage_search"
    app_name = "search"
    index_path = path("", views_search.KnowledgeSearchView.as_view(), name="index")


class KnowledgeApp(CrmApplication):
    title = _("Knowledge")
    icon = "local_library"
    app_name = "knowledge"
    viewsets = [ArticleViewset(), GroupViewset(), AnnouncementViewset(), SearchViewset()]
