"""Reads of attachments, always through the owning record's scope."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from crm.attachments.models import Attachment
from crm.attachments.rules import attachable_model, visible_records

#: Attachments shown on a card (the newest); more are listed on its own page.
CARD_LIMIT = 50


def access_record(*, user, label: str, pk):
    """The record ``label``/``pk`` if ``user`` may see it, else 404."""
    model = attachable_model(label)
    try:
        return visible_records(model, user).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No visible record.") from exc


def record_attachments(*, record, archived: bool = False):
    """The attachments of ``record`` (already fetched through its scope), newest first."""
    content_type = ContentType.objects.get_for_model(record)
    return (
        Attachment.objects.filter(
            content_type=content_type, object_id=record.pk, is_archived=archived
        )
        .select_related("uploaded_by")
        .defer("text", "search_vector")
        .order_by("-uploaded_at", "-id")
    )


def access_attachment(*, user, pk):
    """The attachment ``pk`` and its record, if ``user`` may see the record; else 404."""
    try:
        attachment = (
            Attachment.objects.select_related("content_type")
            .defer("text", "search_vector")
            .get(pk=pk)
        )
    except (Attachment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No visible attachment.") from exc
    model = attachment.content_type.model_class()
    if model is None:
        raise Http404("No visible attachment.")
    record = access_record(user=user, label=model._meta.label_lower, pk=attachment.object_id)
    return attachment, record
