"""Celery tasks of attachments: thin, ids in, services do the work."""

from celery import shared_task


@shared_task(name="crm.extract_attachment_text")
def extract_attachment_text(*, attachment_id: int) -> str | None:
    from crm.attachments.services import attachment_extract_text

    return attachment_extract_text(attachment_id=attachment_id)


@shared_task(name="crm.attachments_sync_scope")
def attachments_sync_scope_all() -> int:
    """Safety net: copy every record's scope to its attachments where it differs."""
    from crm.attachments.rules import scoped_models
    from crm.attachments.services import attachments_sync_scope

    return sum(attachments_sync_scope(model=model) for model in scoped_models())
