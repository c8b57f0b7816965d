"""Attachments (附件, KNW-4): files on any record, found by the text inside.

An attachment points at its record through a generic relation
(``content_type``, ``object_id``); whoever may see the record may see its
attachments, and nobody else -- the record's model decides through its own
``visible_to(user)`` (``crm.attachments.rules``).

``owner``, ``department`` and ``branch`` are those *of the owning record*,
copied when the file is attached and when the record is handed over. They
are not an access rule (the record's ``visible_to`` is): they let the
one-box search put the scope into its text search, as
``crm.scope.ScopedMatch`` does for customers, so that one GIN index answers
"this word, among the attachments of records in my branch" at a million
texts (see ``crm.attachments.search``).
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


def attachment_storage():
    """The storage of ``STORAGES['attachments']`` (files under MEDIA_ROOT, or
    S3-compatible with ``CRM_ATTACHMENT_STORAGE=s3``)."""
    return storages["attachments"]


def attachment_path(instance: Attachment, filename: str) -> str:
    """A name that says nothing about the file: the original is kept in ``name``."""
    now = timezone.now()
    extension = PurePath(filename).suffix.lower()[:10]
    return f"{now:%Y/%m}/{uuid.uuid4().hex}{extension}"


class AttachmentQuerySet(models.QuerySet):
    def active(self) -> AttachmentQuerySet:
        return self.filter(is_archived=False)

    def of_record(self, record) -> AttachmentQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )


class Attachment(models.Model):
    class Extraction(models.TextChoices):
        PENDING = "pending", _("Text being read")
        DONE = "done", _("Text indexed")
        NO_TEXT = "no_text", _("No text (image)")
        FAILED = "failed", _("Text could not be read")

    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("record type")
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    record = GenericForeignKey("content_type", "object_id")

    file = models.FileField(
        _("file"), storage=attachment_storage, upload_to=attachment_path, max_length=255
    )
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(pgettext_lazy("file", "size"))
    kind = models.CharField(_("type"), max_length=10)
    mime_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    text = models.TextField(_("text"), blank=True, editable=False)
    extraction = models.CharField(
        _("text extraction"),
        max_length=10,
        choices=Extraction.choices,
        default=Extraction.PENDING,
    )
    extraction_error = models.CharField(
        _("extraction error"), max_length=300, blank=True, editable=False
    )
    extracted_at = models.DateTimeField(_("text read at"), null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)

    # The owning record's scope, for the scoped text search (see the module).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("record owner"),
    )
    department = models.ForeignKey(
        "crm.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("record department"),
    )
    branch = models.ForeignKey(
        "crm.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("record branch"),
    )

    is_archived = models.BooleanField(_("archived"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("archived by"),
    )

    history = HistoricalRecords(excluded_fields=["text", "search_vector"])
    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "-uploaded_at"],
                name="attachment_record",
            ),
            models.Index(fields=["owner"], name="attachment_owner"),
        ]
        permissions = [
            ("archive_any_attachment", _("Can archive others' attachments of visible records")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def uploaded_by_name(self) -> str:
        user = self.uploaded_by
        return user.get_full_name() or user.get_username()
