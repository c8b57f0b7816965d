"""Writes of attachments: attach, archive, restore, read the text, keep the
copy of the owning record's scope current.

Views fetch the record (or the attachment) through its scope first -- 404
outside it -- and these functions check what the user may do with it.
"""

from __future__ import annotations

import logging
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from crm.attachments.extract import ExtractionError, extract_text
from crm.attachments.models import Attachment
from crm.attachments.sniff import KINDS, sniff
from crm.models import ScopedModel
from crm.textsearch import long_text_tokens, search_tokens

logger = logging.getLogger(__name__)

TOO_LARGE = _("The file is larger than the allowed %(limit)s MB: not attached.")
EMPTY_FILE = _("The file is empty: not attached.")
NAME_TOO_LONG = _("The file name is too long (at most 200 characters).")
NO_CHANGE_PERMISSION = _(
    "You may not change this record (or it is archived), so you may not attach files to it."
)
NOT_YOURS = _("Only the uploader or a manager may archive this attachment.")

#: Characters of the file name kept.
MAX_NAME = 200


def can_attach(user, record) -> bool:
    """Attaching needs the change permission on the record's model (the
    record itself was fetched within the user's scope); an archived record
    (a merged customer, say) is read-only."""
    meta = record._meta
    if getattr(record, "is_archived", False):
        return False
    return user.has_perm(f"{meta.app_label}.change_{meta.model_name}")


def can_archive(user, attachment: Attachment) -> bool:
    """The uploader, or a manager who sees the record (``archive_any_attachment``)."""
    return attachment.uploaded_by_id == user.pk or user.has_perm("crm.archive_any_attachment")


def _scan(file) -> None:
    """The virus-scan hook: ``CRM_ATTACHMENT_SCANNER`` raises ValidationError to refuse."""
    dotted = getattr(settings, "CRM_ATTACHMENT_SCANNER", "")
    if dotted:
        file.seek(0)
        import_string(dotted)(file)
        file.seek(0)


def _clean_name(name: str) -> str:
    name = PurePath((name or "").replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())
    if len(name) > MAX_NAME:
        raise ValidationError(NAME_TOO_LONG, code="name")
    return name


def _write_document(attachment_id: int, name: str, text: str) -> None:
    """The search document: the name in full (words, suffixes, pinyin) and the text's words."""
    document = " ".join(
        dict.fromkeys([*search_tokens(PurePath(name).stem, name), *long_text_tokens(text)])
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Attachment._meta.db_table}"
            " SET search_vector = strip(to_tsvector('simple', %s)) WHERE id = %s",
            [document, attachment_id],
        )


@transaction.atomic
def attachment_upload(*, record, file, by) -> Attachment:
    """Attach ``file`` (an uploaded file) to ``record``, fetched within ``by``'s scope.

    Refused with a ValidationError, and nothing stored, when it is too large,
    not of an accepted type, not what its name says, or the scanner refuses
    it. Its text is read by a Celery task after the commit.
    """
    if not can_attach(by, record):
        raise PermissionDenied(NO_CHANGE_PERMISSION)
    name = _clean_name(getattr(file, "name", ""))
    limit = settings.CRM_ATTACHMENT_MAX_MB
    if file.size > limit * 1024 * 1024:
        raise ValidationError(TOO_LARGE, code="size", params={"limit": limit})
    if not file.size:
        raise ValidationError(EMPTY_FILE, code="empty")
    kind = sniff(file, name)
    _scan(file)
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        name=name,
        size=file.size,
        kind=kind.code,
        mime_type=kind.mime,
        uploaded_by=by,
        extraction=(
            Attachment.Extraction.PENDING if kind.has_text else Attachment.Extraction.NO_TEXT
        ),
    )
    if isinstance(record, ScopedModel):
        attachment.owner_id = record.owner_id
        attachment.department_id = record.department_id
        attachment.branch_id = record.branch_id
    file.seek(0)
    attachment.file.save(name, File(file, name=name), save=False)
    attachment.full_clean(exclude=["file"])
    attachment.save()
    _write_document(attachment.pk, name, "")
    if kind.has_text:
        from crm.attachments.tasks import extract_attachment_text

        pk = attachment.pk
        transaction.on_commit(lambda: extract_attachment_text.delay(attachment_id=pk))
    return attachment


def _set_archived(attachment: Attachment, *, by, archived: bool) -> Attachment:
    if not can_archive(by, attachment):
        raise PermissionDenied(NOT_YOURS)
    locked = (
        Attachment.objects.select_for_update().defer("text", "search_vector").get(pk=attachment.pk)
    )
    if locked.is_archived == archived:
        return locked
    locked.is_archived = archived
    locked.archived_at = timezone.now() if archived else None
    locked.archived_by = by if archived else None
    locked._history_user = by
    locked.save(update_fields=["is_archived", "archived_at", "archived_by"])
    return locked


@transaction.atomic
def attachment_archive(*, attachment: Attachment, by) -> Attachment:
    """Archive (soft-delete) an attachment: it leaves the card and the search;
    the file and its history are kept."""
    return _set_archived(attachment, by=by, archived=True)


@transaction.atomic
def attachment_restore(*, attachment: Attachment, by) -> Attachment:
    return _set_archived(attachment, by=by, archived=False)


def attachment_extract_text(*, attachment_id: int) -> str | None:
    """Read the text of an attachment into ``text`` and its search document.

    Returns the extraction status, ``None`` if the attachment is gone. A file
    that cannot be read is marked failed with the reason (shown on the card);
    its name stays searchable.
    """
    row = Attachment.objects.filter(pk=attachment_id).values("file", "kind", "name").first()
    if row is None:
        return None
    text, error = "", ""
    status = Attachment.Extraction.DONE
    kind = KINDS.get(row["kind"])
    if kind is None or not kind.has_text:
        status = Attachment.Extraction.NO_TEXT
    else:
        try:
            with Attachment._meta.get_field("file").storage.open(row["file"], "rb") as file:
                text = extract_text(file, row["kind"])
        except ExtractionError as exc:
            status, error = Attachment.Extraction.FAILED, str(exc)[:300]
        except Exception as exc:  # a hostile file must not kill the worker's loop
            logger.exception("Reading the text of attachment %s failed", attachment_id)
            status, error = Attachment.Extraction.FAILED, f"{type(exc).__name__}"[:300]
    with transaction.atomic():
        Attachment.objects.filter(pk=attachment_id).update(
            text=text, extraction=status, extraction_error=error, extracted_at=timezone.now()
        )
        _write_document(attachment_id, row["name"], text)
    return status


def attachments_sync_scope(*, model: type[ScopedModel], ids=None) -> int:
    """Copy owner, department and branch of ``model``'s records (``ids``, or
    all) to their attachments where they differ; returns the rows changed.

    Called by the handover in its transaction and by a periodic task as a
    safety net for owner changes made elsewhere (a deal claimed from the
    pool, a customer given to another rep). A stale copy never leaks: the
    search checks each hit against the record's own ``visible_to``.
    """
    content_type = ContentType.objects.get_for_model(model)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = (
        f"UPDATE {Attachment._meta.db_table} AS a"
        " SET owner_id = r.owner_id, department_id = r.department_id, branch_id = r.branch_id"
        f" FROM {table} AS r"
        " WHERE a.content_type_id = %s AND a.object_id = r.id"
        " AND (a.owner_id IS DISTINCT FROM r.owner_id"
        " OR a.department_id IS DISTINCT FROM r.department_id"
        " OR a.branch_id IS DISTINCT FROM r.branch_id)"
    )
    params: list = [content_type.pk]
    if ids is not None:
        sql += " AND r.id = ANY(%s)"
        params.append(list(ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@transaction.atomic
def attachments_move(*, from_record, to_record, by) -> int:
    """Move every attachment of ``from_record`` to ``to_record`` (a merge of
    duplicates: generic relations are not found by introspecting foreign
    keys), with the target's scope copied and a history entry each."""
    from simple_history.utils import bulk_update_with_history

    content_type = ContentType.objects.get_for_model(from_record)
    attachments = list(
        Attachment.objects.select_for_update()
        .filter(content_type=content_type, object_id=from_record.pk)
        .defer("text", "search_vector")
        .order_by("pk")
    )
    for attachment in attachments:
        attachment.content_type = ContentType.objects.get_for_model(to_record)
        attachment.object_id = to_record.pk
        if isinstance(to_record, ScopedModel):
            attachment.owner_id = to_record.owner_id
            attachment.department_id = to_record.department_id
            attachment.branch_id = to_record.branch_id
    if attachments:
        bulk_update_with_history(
            attachments,
            Attachment,
            ["content_type", "object_id", "owner", "department", "branch"],
            default_user=by,
        )
    return len(attachments)
