"""The knowledge base (KNW-1), discussion groups (KNW-2) and HQ announcements
(ORG-5).

None of these is a ``ScopedModel``: they are not owned sales records that a
data scope (own, department, branch, all) reaches. Who reads them is decided
per record -- an article's audience (everyone, chosen branches, chosen
departments), a group's members, an announcement's branches -- by the
selectors in ``knowledge.selectors`` (``article_visible_to``,
``topic_visible_to``, ``announcement_visible_to``); a record outside them
answers 404 like a scoped one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import BilingualNameMixin, Branch, Department, TimeStampedModel


class Category(BilingualNameMixin):
    """A category of the knowledge base, managed in Django admin."""

    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)

    class Meta:
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        ordering = ["order", "id"]


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleKind(models.TextChoices):
    FAQ = "faq", _("FAQ")
    TIP = "tip", _("Tips")
    POLICY = "policy", _("Policy")
    PRODUCT = "product", _("Product knowledge")
    INDUSTRY = "industry", _("Industry knowledge")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article status", "Draft")
    PUBLISHED = "published", pgettext_lazy("article status", "Published")


class Audience(models.TextChoices):
    """Who reads an article (KNW-1)."""

    ALL = "all", _("Everyone")
    BRANCHES = "branches", _("Chosen branches")
    DEPARTMENTS = "departments", _("Chosen departments (with their sub-departments)")


class ArticleQuerySet(models.QuerySet):
    def published(self) -> ArticleQuerySet:
        return self.filter(status=ArticleStatus.PUBLISHED)


class Article(TimeStampedModel):
    """A knowledge-base article; ``body`` is sanitised HTML (``knowledge.richtext``).

    Every save writes an ``ArticleVersion`` with the saved content, so the
    versions are the complete history and any two can be compared.
    """

    title = models.CharField(pgettext_lazy("record name", "title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ArticleKind.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles", verbose_name=_("tags"))
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    body_text = models.TextField(editable=False, default="")
    status = models.CharField(
        _("status"), max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    audience = models.CharField(
        _("visible to"), max_length=20, choices=Audience.choices, default=Audience.ALL
    )
    branches = models.ManyToManyField(
        Branch, blank=True, related_name="+", verbose_name=_("branches")
    )
    departments = models.ManyToManyField(
        Department, blank=True, related_name="+", verbose_name=_("departments")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("last edited by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    #: Title, summary and tags (ranking); ``search_vector`` adds the text (matching).
    title_vector = SearchVectorField(null=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at", "-id"], name="article_published"),
            models.Index(fields=["-published_at", "-id"], name="article_recent"),
            models.Index(fields=["category", "-published_at"], name="article_category"),
            models.Index(fields=["kind", "-published_at"], name="article_kind"),
            models.Index(fields=["author", "-updated_at"], name="article_author"),
            GinIndex(fields=["search_vector"], name="article_search"),
            GinIndex(fields=["title_vector"], name="article_title_search"),
        ]
        permissions = [("view_all_articles", _("Can see every article, drafts included"))]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:articles:detail", kwargs={"pk": self.pk})

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(models.Model):
    """The content of an article as one save left it (KNW-1 versions)."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="versions", verbose_name=_("article")
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(pgettext_lazy("record name", "title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    body_text = models.TextField(default="")
    status = models.CharField(_("status"), max_length=20, choices=ArticleStatus.choices)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    note = models.CharField(_("what changed"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


# --- Discussion groups (KNW-2) -------------------------------------------------


class DiscussionGroup(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="GroupMembership",
        related_name="discussion_groups",
        verbose_name=_("members"),
    )
    is_archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        verbose_name = _("discussion group")
        verbose_name_plural = _("discussion groups")
        ordering = ["name", "id"]
        permissions = [("moderate_discussions", _("Can see and moderate every discussion group"))]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("knowledge:groups:detail", kwargs={"pk": self.pk})


class GroupMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    group = models.ForeignKey(DiscussionGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_membership_unique")
        ]
        indexes = [models.Index(fields=["user", "group"], name="group_membership_user")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.group}"


class Topic(TimeStampedModel):
    """A thread of posts: in a discussion group, or about one record.

    A topic has either a ``group`` or a ``subject`` -- any record, through a
    generic relation (``content_type``, ``object_id``) -- never both. A deal's
    discussion is topics whose subject is the opportunity; who reads them is
    who may see the subject (``knowledge.discussions.discussion_subjects``).
    """

    group = models.ForeignKey(
        DiscussionGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="topics",
        verbose_name=_("discussion group"),
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    title = models.CharField(pgettext_lazy("record name", "title"), max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    post_count = models.PositiveIntegerField(_("posts"), default=0)
    last_post_at = models.DateTimeField(_("last post"), null=True, blank=True)
    is_closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-last_post_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(group__isnull=False, content_type__isnull=True, object_id__isnull=True)
                    | models.Q(
                        group__isnull=True, content_type__isnull=False, object_id__isnull=False
                    )
                ),
                name="topic_group_or_subject",
            )
        ]
        indexes = [
            models.Index(fields=["group", "-last_post_at", "-id"], name="topic_group"),
            models.Index(
                fields=["content_type", "object_id", "-last_post_at"], name="topic_subject"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:groups:topic", kwargs={"pk": self.pk})


class Post(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    body = models.TextField(_("message"), max_length=10000)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    #: The topic's title (ranking); ``search_vector`` adds the message (matching).
    title_vector = SearchVectorField(null=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["topic", "created_at", "id"], name="post_topic"),
            models.Index(fields=["-created_at", "-id"], name="post_recent"),
            GinIndex(fields=["title_vector"], name="post_title_search"),
            GinIndex(fields=["search_vector"], name="post_search"),
        ]

    def __str__(self) -> str:
        return self.body[:50]

    def get_absolute_url(self) -> str:
        return f"{self.topic.get_absolute_url()}#post-{self.pk}"


# --- HQ announcements (ORG-5) --------------------------------------------------


class Announcement(TimeStampedModel):
    """A notice from HQ (政策发布) to every branch or to chosen ones."""

    title = models.CharField(pgettext_lazy("record name", "title"), max_length=200)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    to_all_branches = models.BooleanField(_("to all branches"), default=True)
    branches = models.ManyToManyField(
        Branch, blank=True, related_name="+", verbose_name=_("branches")
    )
    published_at = models.DateTimeField(_("published at"), db_index=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-published_at", "-id"]
        permissions = [("view_receipts", _("Can see the read receipts of every announcement"))]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:announcements:detail", kwargs={"pk": self.pk})


class AnnouncementReceipt(models.Model):
    """Who read an announcement, when; ``branch`` is the reader's at that moment."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="receipts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    read_at = models.DateTimeField(_("read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("read receipt")
        verbose_name_plural = _("read receipts")
        constraints = [
            models.UniqueConstraint(fields=["user", "announcement"], name="receipt_unique")
        ]
        indexes = [models.Index(fields=["announcement", "branch"], name="receipt_branch")]

    def __str__(self) -> str:
        return f"{self.user} · {self.announcement}"
