"""Writes of the knowledge base, discussions and announcements.

Views, admin and the demo call these; none of them saves these records
itself. Each write keeps the derived columns (plain text, search document)
in step in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Branch, Department, Employee
from knowledge.discussions import discussion_subjects
from knowledge.models import (
    Announcement,
    AnnouncementReceipt,
    Article,
    ArticleStatus,
    ArticleVersion,
    Audience,
    Category,
    DiscussionGroup,
    GroupMembership,
    Post,
    Tag,
    Topic,
)
from knowledge.richtext import plain_text, sanitize
from knowledge.search import refresh_article_search, refresh_post_search

AUDIENCE_NEEDS_BRANCHES = _("Choose at least one branch, or make the article visible to everyone.")
AUDIENCE_NEEDS_DEPARTMENTS = _(
    "Choose at least one department, or make the article visible to everyone."
)
ANNOUNCEMENT_NEEDS_BRANCHES = _("Choose at least one branch, or send it to all branches.")
TOPIC_CLOSED = _("This topic is closed.")
GROUP_ARCHIVED = _("This group is archived.")
NOT_A_SUBJECT = _("Records of this kind have no discussion.")
OWNER_STAYS = _("A group keeps at least one owner.")

ARTICLE_FIELDS = ("title", "kind", "category", "summary", "body", "status", "audience")


def tags_from_names(names: Iterable[str]) -> list[Tag]:
    """The tags of these names, created when new (names are trimmed, deduplicated)."""
    cleaned = list(dict.fromkeys(n.strip()[:50] for n in names if n and n.strip()))
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=cleaned)}
    for name in cleaned:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[name] for name in cleaned]


def _check_audience(audience: str, branches, departments) -> None:
    if audience == Audience.BRANCHES and not branches:
        raise ValidationError({"branches": AUDIENCE_NEEDS_BRANCHES})
    if audience == Audience.DEPARTMENTS and not departments:
        raise ValidationError({"departments": AUDIENCE_NEEDS_DEPARTMENTS})


def _save_version(article: Article, *, by, note: str = "") -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        summary=article.summary,
        body=article.body,
        body_text=article.body_text,
        status=article.status,
        saved_by=by,
        note=note[:200],
    )


def _set_audience(article: Article, branches, departments) -> None:
    article.branches.set(branches if article.audience == Audience.BRANCHES else [])
    article.departments.set(departments if article.audience == Audience.DEPARTMENTS else [])


@transaction.atomic
def article_create(
    *,
    by,
    title: str,
    kind: str,
    category: Category,
    body: str = "",
    summary: str = "",
    status: str = ArticleStatus.DRAFT,
    audience: str = Audience.ALL,
    branches: Iterable[Branch] = (),
    departments: Iterable[Department] = (),
    tags: Iterable[str] = (),
    note: str = "",
) -> Article:
    """A new article (version 1), its text sanitised and indexed."""
    branches, departments = list(branches), list(departments)
    _check_audience(audience, branches, departments)
    body = sanitize(body)
    article = Article(
        title=title,
        kind=kind,
        category=category,
        summary=summary,
        body=body,
        body_text=plain_text(body),
        status=status,
        audience=audience,
        author=by,
        updated_by=by,
        published_at=timezone.now() if status == ArticleStatus.PUBLISHED else None,
    )
    article.full_clean()
    article.save()
    article.tags.set(tags_from_names(tags))
    _set_audience(article, branches, departments)
    _save_version(article, by=by, note=note)
    refresh_article_search(article_ids=[article.pk])
    return article


@transaction.atomic
def article_update(
    *,
    article: Article,
    by,
    branches: Iterable[Branch] | None = None,
    departments: Iterable[Department] | None = None,
    tags: Iterable[str] | None = None,
    note: str = "",
    **fields,
) -> Article:
    """Change an article; the saved content becomes a new version, the
    earlier versions stay. Publishing for the first time dates it."""
    locked = Article.objects.select_for_update().get(pk=article.pk)
    unknown = set(fields) - set(ARTICLE_FIELDS)
    if unknown:
        raise TypeError(f"Not article fields: {sorted(unknown)}")
    if "body" in fields:
        fields["body"] = sanitize(fields["body"])
    for name, value in fields.items():
        setattr(locked, name, value)
    branches = list(branches) if branches is not None else list(locked.branches.all())
    departments = list(departments) if departments is not None else list(locked.departments.all())
    _check_audience(locked.audience, branches, departments)
    locked.body_text = plain_text(locked.body)
    if locked.status == ArticleStatus.PUBLISHED and locked.published_at is None:
        locked.published_at = timezone.now()
    locked.updated_by = by
    locked.version += 1
    locked.full_clean()
    locked.save()
    if tags is not None:
        locked.tags.set(tags_from_names(tags))
    _set_audience(locked, branches, departments)
    _save_version(locked, by=by, note=note)
    refresh_article_search(article_ids=[locked.pk])
    return locked


# --- Discussion groups --------------------------------------------------------


@transaction.atomic
def group_create(
    *, by, name: str, description: str = "", members: Iterable = ()
) -> DiscussionGroup:
    """A group; its creator is its owner, ``members`` join as members."""
    group = DiscussionGroup(name=name, description=description, created_by=by)
    group.full_clean()
    group.save()
    GroupMembership.objects.create(group=group, user=by, role=GroupMembership.Role.OWNER)
    group_add_members(group=group, users=[u for u in members if u.pk != by.pk], by=by)
    return group


def group_add_members(*, group: DiscussionGroup, users: Iterable, by) -> int:
    """Add users as members (those already in are left as they are)."""
    rows = [GroupMembership(group=group, user=user) for user in users]
    created = GroupMembership.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


@transaction.atomic
def group_remove_member(*, group: DiscussionGroup, user, by) -> None:
    memberships = GroupMembership.objects.select_for_update().filter(group=group)
    owners = [m.user_id for m in memberships if m.role == GroupMembership.Role.OWNER]
    if owners == [user.pk]:
        raise ValidationError(OWNER_STAYS)
    GroupMembership.objects.filter(group=group, user=user).delete()


def _subject_of(obj) -> tuple[ContentType, int]:
    if discussion_subjects.get(type(obj)) is None:
        raise ValidationError(NOT_A_SUBJECT)
    return ContentType.objects.get_for_model(type(obj)), obj.pk


@transaction.atomic
def topic_start(
    *, by, title: str, body: str, group: DiscussionGroup | None = None, subject=None
) -> Topic:
    """A topic in ``group`` or about ``subject`` (a registered record), with its
    first post. The caller has checked that ``by`` may see the group or record."""
    if (group is None) == (subject is None):
        raise ValueError("A topic belongs to a group or to a record.")
    if group is not None and group.is_archived:
        raise ValidationError(GROUP_ARCHIVED)
    topic = Topic(group=group, title=title, author=by)
    if subject is not None:
        topic.content_type, topic.object_id = _subject_of(subject)
    topic.full_clean()
    topic.save()
    post_create(topic=topic, by=by, body=body)
    topic.refresh_from_db()
    return topic


@transaction.atomic
def post_create(*, topic: Topic, by, body: str) -> Post:
    """A reply in ``topic``; the topic's counter and date follow (``F()``)."""
    locked = Topic.objects.select_for_update().get(pk=topic.pk)
    if locked.is_closed:
        raise ValidationError(TOPIC_CLOSED)
    post = Post(topic=locked, author=by, body=body.strip())
    post.full_clean()
    post.save()
    Topic.objects.filter(pk=locked.pk).update(
        post_count=F("post_count") + 1, last_post_at=post.created_at, updated_at=post.created_at
    )
    refresh_post_search(post_ids=[post.pk])
    return post


# --- Announcements ------------------------------------------------------------


@transaction.atomic
def announcement_publish(
    *, by, title: str, body: str, to_all_branches: bool = True, branches: Iterable[Branch] = ()
) -> Announcement:
    """Publish an announcement now, to every branch or to the chosen ones."""
    branches = list(branches)
    if not to_all_branches and not branches:
        raise ValidationError({"branches": ANNOUNCEMENT_NEEDS_BRANCHES})
    announcement = Announcement(
        title=title,
        body=sanitize(body),
        author=by,
        to_all_branches=to_all_branches,
        published_at=timezone.now(),
    )
    announcement.full_clean()
    announcement.save()
    if not to_all_branches:
        announcement.branches.set(branches)
    return announcement


def announcement_mark_read(*, announcement: Announcement, user) -> AnnouncementReceipt | None:
    """Record that ``user`` read it (once; the first reading counts)."""
    if AnnouncementReceipt.objects.filter(announcement=announcement, user=user).exists():
        return None
    branch_id = (
        Employee.objects.filter(user=user).values_list("department__branch_id", flat=True).first()
    )
    try:
        with transaction.atomic():
            receipt = AnnouncementReceipt.objects.create(
                announcement=announcement, user=user, branch_id=branch_id
            )
    except IntegrityError:  # read twice at the same moment
        return None
    user.__dict__.pop("_knowledge_unread", None)
    return receipt


def require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise PermissionDenied
