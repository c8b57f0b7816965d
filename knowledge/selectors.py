"""Reads of the knowledge base, discussions and announcements.

Articles, topics and announcements are not owned records, so the data scope
(``crm.scope``) does not decide who reads them; each has its own audience,
applied here in one place per kind:

- ``article_visible_to(user)``: published articles whose audience is
  everyone, one of the user's branch, or the user's department or one above
  it; the author's own drafts; everything for editors
  (``knowledge.view_all_articles``);
- ``group_visible_to`` / ``topic_visible_to``: groups of which the user is a
  member and their topics, topics about records the user may see
  (``knowledge.discussions``); everything for moderators
  (``knowledge.moderate_discussions``);
- ``announcement_visible_to(user)``: announcements to all branches or to the
  user's branch; senders (``knowledge.view_receipts``) see all, authors their own.

The user's branch and department enter as subqueries on their employee
record, so each condition costs no extra round trip. ``access_<thing>`` fetch
one record within them or raise 404.
"""

from __future__ import annotations

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from crm.models import Branch, Employee
from knowledge.discussions import discussion_subjects
from knowledge.models import (
    Announcement,
    AnnouncementReceipt,
    Article,
    ArticleStatus,
    ArticleVersion,
    Audience,
    DiscussionGroup,
    GroupMembership,
    Post,
    Topic,
)

ARTICLE_EDITOR = "knowledge.view_all_articles"
MODERATOR = "knowledge.moderate_discussions"
ANNOUNCER = "knowledge.view_receipts"


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _my_employee(user) -> QuerySet[Employee]:
    return Employee.objects.filter(user_id=user.pk, is_active=True)


def my_branch_id(user) -> Subquery:
    """The user's branch, as a subquery (no round trip of its own)."""
    return Subquery(_my_employee(user).values("department__branch_id")[:1])


def _my_department_path(user) -> Subquery:
    return Subquery(_my_employee(user).values("department__path")[:1])


def _not_found(model) -> Http404:
    return Http404(f"No visible {model._meta.verbose_name}.")


def _get(queryset: QuerySet, pk):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise _not_found(queryset.model) from exc


# --- Articles (KNW-1) -----------------------------------------------------------


def is_article_editor(user) -> bool:
    return _signed_in(user) and user.has_perm(ARTICLE_EDITOR)


def article_audience_condition(user) -> Q:
    """Published articles whose audience includes ``user``."""
    branch_links = Article.branches.through.objects.filter(branch_id=my_branch_id(user))
    department_links = (
        Article.departments.through.objects.annotate(_mine=_my_department_path(user))
        # the user's department is the chosen one or lies below it
        .filter(_mine__startswith=F("department__path"))
    )
    return Q(status=ArticleStatus.PUBLISHED) & (
        Q(audience=Audience.ALL)
        | Q(audience=Audience.BRANCHES, pk__in=branch_links.values("article_id"))
        | Q(audience=Audience.DEPARTMENTS, pk__in=department_links.values("article_id"))
    )


def article_visible_to(user) -> QuerySet[Article]:
    """The articles ``user`` may read (see the module's docstring)."""
    if not _signed_in(user):
        return Article.objects.none()
    if is_article_editor(user):
        return Article.objects.all()
    return Article.objects.filter(article_audience_condition(user) | Q(author_id=user.pk))


def can_edit_article(user, article: Article) -> bool:
    if is_article_editor(user) and user.has_perm("knowledge.change_article"):
        return True
    return article.author_id == user.pk and user.has_perm("knowledge.add_article")


def access_article(*, user, pk) -> Article:
    """The article ``pk`` if ``user`` may read it, else 404."""
    queryset = (
        article_visible_to(user)
        .select_related("category", "author", "updated_by")
        .prefetch_related("tags", "branches", "departments")
    )
    return _get(queryset, pk)


def article_list(
    *, user, category=None, kind: str = "", tag=None, status: str = "", mine: bool = False
) -> QuerySet[Article]:
    """The articles of the list page, newest first, filtered."""
    queryset = article_visible_to(user)
    if category is not None:
        queryset = queryset.filter(category=category)
    if kind:
        queryset = queryset.filter(kind=kind)
    if tag is not None:
        queryset = queryset.filter(tags=tag)
    if status:
        queryset = queryset.filter(status=status)
    if mine:
        queryset = queryset.filter(author_id=user.pk)
    return (
        queryset.select_related("category", "author")
        .prefetch_related("tags")
        .order_by(F("published_at").desc(nulls_first=True), "-id")
    )


def article_versions(*, article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("saved_by").order_by("-number")


def article_version(*, article: Article, number) -> ArticleVersion:
    """Version ``number`` of an article the caller has already accessed, or 404."""
    try:
        return article.versions.select_related("saved_by").get(number=int(number))
    except (ArticleVersion.DoesNotExist, TypeError, ValueError) as exc:
        raise _not_found(ArticleVersion) from exc


# --- Discussion groups (KNW-2) --------------------------------------------------


def is_moderator(user) -> bool:
    return _signed_in(user) and user.has_perm(MODERATOR)


def _my_group_ids(user):
    return GroupMembership.objects.filter(user_id=user.pk).values("group_id")


def group_visible_to(user) -> QuerySet[DiscussionGroup]:
    if not _signed_in(user):
        return DiscussionGroup.objects.none()
    if is_moderator(user):
        return DiscussionGroup.objects.all()
    return DiscussionGroup.objects.filter(pk__in=_my_group_ids(user))


def group_list(*, user) -> QuerySet[DiscussionGroup]:
    """Groups with their member and topic counts and latest post (subqueries)."""
    members = (
        GroupMembership.objects.filter(group=OuterRef("pk"))
        .order_by()
        .values("group")
        .annotate(n=Count("id"))
        .values("n")
    )
    topics = (
        Topic.objects.filter(group=OuterRef("pk"))
        .order_by()
        .values("group")
        .annotate(n=Count("id"))
        .values("n")
    )
    latest = Topic.objects.filter(group=OuterRef("pk")).order_by("-last_post_at", "-id")
    return (
        group_visible_to(user)
        .annotate(
            member_count=Coalesce(Subquery(members, output_field=IntegerField()), Value(0)),
            topic_count=Coalesce(Subquery(topics, output_field=IntegerField()), Value(0)),
            last_post_at=Subquery(latest.values("last_post_at")[:1]),
            is_member=Exists(GroupMembership.objects.filter(group=OuterRef("pk"), user=user)),
        )
        .order_by("is_archived", "name", "id")
    )


def access_group(*, user, pk) -> DiscussionGroup:
    """The group ``pk`` if ``user`` is a member (or a moderator), else 404."""
    return _get(group_visible_to(user).select_related("created_by"), pk)


def group_members(*, group: DiscussionGroup) -> QuerySet[GroupMembership]:
    return group.memberships.select_related("user__employee__department").order_by(
        "role", "user__username"
    )


def is_group_owner(user, group: DiscussionGroup) -> bool:
    if is_moderator(user):
        return True
    return GroupMembership.objects.filter(
        group=group, user_id=user.pk, role=GroupMembership.Role.OWNER
    ).exists()


def topic_visible_to(user) -> QuerySet[Topic]:
    """Topics of the user's groups and about records the user may see."""
    if not _signed_in(user):
        return Topic.objects.none()
    if is_moderator(user):
        return Topic.objects.all()
    condition = Q(group_id__in=_my_group_ids(user))
    subjects = discussion_subjects.condition(user)
    if subjects is not None:
        condition |= subjects
    return Topic.objects.filter(condition)


def group_topics(*, group: DiscussionGroup) -> QuerySet[Topic]:
    return group.topics.select_related("author").order_by(
        F("last_post_at").desc(nulls_last=True), "-id"
    )


def subject_topics(*, user, obj) -> QuerySet[Topic]:
    """The topics about ``obj`` (a registered subject) that ``user`` may read."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(type(obj))
    return (
        topic_visible_to(user)
        .filter(content_type=content_type, object_id=obj.pk)
        .select_related("author")
        .order_by(F("last_post_at").desc(nulls_last=True), "-id")
    )


def access_topic(*, user, pk) -> Topic:
    return _get(topic_visible_to(user).select_related("group", "author"), pk)


def topic_posts(*, topic: Topic) -> QuerySet[Post]:
    return topic.posts.select_related("author").order_by("created_at", "id")


def post_visible_to(user) -> QuerySet[Post]:
    return Post.objects.filter(topic__in=topic_visible_to(user).values("pk"))


# --- Announcements (ORG-5) ------------------------------------------------------


def is_announcer(user) -> bool:
    return _signed_in(user) and user.has_perm(ANNOUNCER)


def announcement_audience_condition(user) -> Q:
    to_my_branch = Announcement.branches.through.objects.filter(branch_id=my_branch_id(user))
    return Q(to_all_branches=True) | Q(pk__in=to_my_branch.values("announcement_id"))


def announcement_visible_to(user, *, everything_for_announcers: bool = True):
    """Published announcements to the user's branch (or all); senders see all."""
    if not _signed_in(user):
        return Announcement.objects.none()
    if everything_for_announcers and is_announcer(user):
        return Announcement.objects.all()
    return Announcement.objects.filter(
        (announcement_audience_condition(user) & Q(published_at__lte=timezone.now()))
        | Q(author_id=user.pk)
    )


def unread_announcements(user) -> QuerySet[Announcement]:
    """Announcements addressed to the user that they have not opened yet."""
    if not _signed_in(user):
        return Announcement.objects.none()
    read = AnnouncementReceipt.objects.filter(announcement=OuterRef("pk"), user_id=user.pk)
    return Announcement.objects.filter(
        announcement_audience_condition(user), published_at__lte=timezone.now()
    ).filter(~Exists(read))


def unread_announcement_count(user) -> int:
    """The header counter: one query, kept on the user object for the request."""
    if not _signed_in(user):
        return 0
    cached = user.__dict__.get("_knowledge_unread")
    if cached is None:
        cached = user._knowledge_unread = unread_announcements(user).count()
    return cached


def announcement_list(*, user) -> QuerySet[Announcement]:
    read = AnnouncementReceipt.objects.filter(announcement=OuterRef("pk"), user_id=user.pk)
    return (
        announcement_visible_to(user)
        .select_related("author")
        .prefetch_related(
            Prefetch("branches", queryset=Branch.objects.only("id", "name", "name_en"))
        )
        .annotate(is_read=Exists(read))
        .order_by("-published_at", "-id")
    )


def access_announcement(*, user, pk) -> Announcement:
    return _get(
        announcement_visible_to(user).select_related("author").prefetch_related("branches"), pk
    )


def can_see_receipts(user, announcement: Announcement) -> bool:
    return announcement.author_id == user.pk or is_announcer(user)


def announcement_receipts_by_branch(*, announcement: Announcement) -> list[dict]:
    """Per addressed branch: active staff, how many read, the share (SQL counts)."""
    branches = (
        Branch.objects.all()
        if announcement.to_all_branches
        else Branch.objects.filter(pk__in=announcement.branches.values("pk"))
    )
    readers = (
        AnnouncementReceipt.objects.filter(announcement=announcement, branch=OuterRef("pk"))
        .order_by()
        .values("branch")
        .annotate(n=Count("id"))
        .values("n")
    )
    staff = (
        Employee.objects.filter(is_active=True, department__branch=OuterRef("pk"))
        .order_by()
        .values("department__branch")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = branches.annotate(
        read=Coalesce(Subquery(readers, output_field=IntegerField()), Value(0)),
        staff=Coalesce(Subquery(staff, output_field=IntegerField()), Value(0)),
    ).order_by("-is_headquarters", "code")
    return [
        {
            "branch": branch,
            "read": branch.read,
            "staff": branch.staff,
            "percent": round(100 * branch.read / branch.staff) if branch.staff else 0,
        }
        for branch in rows
    ]


def announcement_readers(*, announcement: Announcement) -> QuerySet[AnnouncementReceipt]:
    return announcement.receipts.select_related("user", "branch").order_by("-read_at", "-id")


# --- Start page ----------------------------------------------------------------

#: How many unread announcements the start-page card lists.
TODAY_ANNOUNCEMENTS = 5


def today_announcements_panel(request) -> dict:
    """Start-page card: the latest announcements the user has not read."""
    rows = list(
        unread_announcements(request.user)
        .select_related("author")
        .only("id", "title", "published_at", "author__id", "author__username",
              "author__first_name", "author__last_name")
        .order_by("-published_at", "-id")[: TODAY_ANNOUNCEMENTS + 1]
    )  # fmt: skip
    return {"announcements": rows[:TODAY_ANNOUNCEMENTS], "more": len(rows) > TODAY_ANNOUNCEMENTS}
