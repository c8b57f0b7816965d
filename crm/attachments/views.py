"""The attachments card (a Turbo frame any page includes), upload, download,
archive and restore.

Every view resolves the owning record through its model's ``visible_to``
first (404 outside the scope, and for models that take no attachments),
then checks what the user may do, then calls a service.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from crm.attachments import selectors, services

ATTACHED = _("“%(name)s” attached.")
ARCHIVED = _("“%(name)s” archived.")
RESTORED = _("“%(name)s” restored.")


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))


def frame_id(record) -> str:
    meta = record._meta
    return f"attachments-{meta.app_label}-{meta.model_name}-{record.pk}"


def card_url(record) -> str:
    return reverse("attachment_card", kwargs={"label": record._meta.label_lower, "pk": record.pk})


def _render_card(request, record, *, form=None, status=200):
    user = request.user
    attachments = list(selectors.record_attachments(record=record)[: selectors.CARD_LIMIT])
    archived = list(selectors.record_attachments(record=record, archived=True)[:20])
    may_archive_any = user.has_perm("crm.archive_any_attachment")
    for attachment in [*attachments, *archived]:
        attachment.may_archive = may_archive_any or attachment.uploaded_by_id == user.pk
    can_attach = services.can_attach(user, record)
    context = {
        "record": record,
        "frame_id": frame_id(record),
        "card_url": card_url(record),
        "attachments": attachments,
        "archived": archived,
        "can_attach": can_attach,
        "form": form or (UploadForm() if can_attach else None),
        "max_mb": services.settings.CRM_ATTACHMENT_MAX_MB,
        "page_title": _("Attachments"),
    }
    template = (
        "crm/attachments/card.html"
        if request.headers.get("Turbo-Frame")
        else "crm/attachments/card_page.html"
    )
    return render(request, template, context, status=status)


@never_cache
def attachment_card(request, label: str, pk: int):
    """GET: the card of the record's attachments; POST: attach a file to it."""
    record = selectors.access_record(user=request.user, label=label, pk=pk)
    if request.method == "GET":
        return _render_card(request, record)
    if request.method != "POST":
        return _render_card(request, record, status=405)
    if not services.can_attach(request.user, record):
        raise PermissionDenied(services.NO_CHANGE_PERMISSION)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.attachment_upload(
                record=record, file=form.cleaned_data["file"], by=request.user
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, ATTACHED % {"name": attachment.name})
            return HttpResponseRedirect(card_url(record), status=303)
    return _render_card(request, record, form=form, status=422)


@require_GET
def attachment_download(request, pk: int):
    """The file, as a download only (never rendered by the browser), to
    whoever may see its record."""
    attachment, _record = selectors.access_attachment(user=request.user, pk=pk)
    if attachment.is_archived and not services.can_archive(request.user, attachment):
        raise Http404("No visible attachment.")
    try:
        file = attachment.file.storage.open(attachment.file.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("The file is missing.") from exc
    response = FileResponse(
        file, as_attachment=True, filename=attachment.name, content_type=attachment.mime_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _archive_or_restore(request, pk: int, *, archive: bool):
    """POST only; a GET is sent to the card after the same scope check."""
    attachment, record = selectors.access_attachment(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseRedirect(card_url(record))
    if not services.can_archive(request.user, attachment):
        raise PermissionDenied(services.NOT_YOURS)
    if archive:
        services.attachment_archive(attachment=attachment, by=request.user)
        messages.success(request, ARCHIVED % {"name": attachment.name})
    else:
        services.attachment_restore(attachment=attachment, by=request.user)
        messages.success(request, RESTORED % {"name": attachment.name})
    return HttpResponseRedirect(card_url(record), status=303)


def attachment_archive(request, pk: int):
    return _archive_or_restore(request, pk, archive=True)


def attachment_restore(request, pk: int):
    return _archive_or_restore(request, pk, archive=False)


@require_GET
def attachment_record(request, pk: int):
    """From a search hit to the record's page, if the user may see it."""
    _attachment, record = selectors.access_attachment(user=request.user, pk=pk)
    url = getattr(record, "get_absolute_url", None)
    if url is None:
        raise Http404("The record has no page.")
    return HttpResponseRedirect(f"{url()}#attachments")
