"""Import and export pages (IMP-1, IMP-2).

Import: upload → check (errors per row and column, duplicates) → choose what
to do with duplicates → confirm → progress → result. A job is found by its
``token`` and shown to its creator only (others get 404). Small files are
checked and imported in the request; larger ones in Celery, dispatched after
the commit, while the page polls a small JSON endpoint.

Export: the customer list, with the list's filters, as xlsx.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST
from viewflow.views import Action

from customers import exports
from customers.imports import (
    INLINE_MAX_BYTES,
    column_label,
    customer_import,
    import_job_check,
    import_job_confirm,
    import_job_create,
    import_job_progress,
    import_jobs_unstick,
    import_mapping_save,
    mappable_columns,
    value_options,
)
from customers.models import ImportJob
from customers.resources import import_template
from customers.tasks import import_check, import_run

FILE_TOO_LARGE = _("The file is larger than the allowed %(limit)s MB.")
WRONG_EXTENSION = _("Upload an .xlsx or .csv file.")
NOT_CONFIRMABLE = _("This import cannot be confirmed in its current state.")
ADD_PERMISSION = {
    ImportJob.Kind.CUSTOMERS: "customers.add_customer",
    ImportJob.Kind.CONTACTS: "customers.add_contact",
}
#: How the preview names the keys a duplicate shares.
KEY_LABELS = {
    "credit_code": _("credit code"),
    "name": _("name"),
    "phone": _("phone"),
    "mobile": _("mobile"),
    "email": _("email"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                FILE_TOO_LARGE % {"limit": settings.MAX_UPLOAD_SIZE // (1024 * 1024)}
            )
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(WRONG_EXTENSION)
        return upload


class ImportConfirmForm(forms.Form):
    on_duplicate = forms.ChoiceField(
        label=_("Duplicates"),
        choices=ImportJob.OnDuplicate.choices,
        initial=ImportJob.OnDuplicate.SKIP,
        widget=forms.RadioSelect,
    )


def access_import_job(*, user, token) -> ImportJob:
    """The job ``token`` if ``user`` created it (or is a superuser), else 404."""
    jobs = ImportJob.objects.select_related("created_by").filter(token=token)
    if not user.is_superuser:
        jobs = jobs.filter(created_by=user)
    job = jobs.first()
    if job is None:
        raise Http404("No such import.")
    return job


def _may_import(user, kind) -> bool:
    return user.has_perm(ADD_PERMISSION[ImportJob.Kind(kind)])


def _dispatch(task, job: ImportJob, inline) -> None:
    """Run small jobs now; hand larger ones to Celery once the job row is committed."""
    if not job.file or job.file.size <= INLINE_MAX_BYTES:  # no file: fails at once
        inline()
    else:
        transaction.on_commit(lambda: task.delay(job.pk))


def import_start(request):
    """Upload page: the form, the templates and my latest imports."""
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            if not _may_import(request.user, kind):
                raise PermissionDenied
            job = import_job_create(by=request.user, kind=kind, upload=form.cleaned_data["file"])
            _dispatch(import_check, job, lambda: import_job_check(job=job))
            return redirect("customers:import_job", token=job.token)
    else:
        form = ImportUploadForm()
    recent = ImportJob.objects.filter(created_by=request.user).only(
        "token", "kind", "file_name", "status", "total", "created_at"
    )[:10]
    return render(
        request,
        "customers/import/start.html",
        {"form": form, "recent": recent, "page_title": _("Import customers and contacts")},
    )


#: A value left as it is on the mapping form (the row stays an error).
NOT_MAPPED = "?"


def _mapping_context(job: ImportJob) -> dict:
    """The unknown list values and ignored columns the preview offers to map."""
    if job.status not in (ImportJob.Status.CHECKED, ImportJob.Status.INVALID):
        return {"unknown_values": [], "ignored_columns": [], "mapped_columns": []}
    unknown = [
        {**item, "index": index, "options": value_options(job.kind, item["field"])}
        for index, item in enumerate(job.result.get("unknown_values") or [])
    ]
    present = set(job.result.get("present_fields") or [])
    fields = [
        (column.field, column_label(job.kind, column.field))
        for column in mappable_columns(job.kind)
        if column.field not in present  # a column the file already has is not offered
    ]
    ignored = [
        {"index": index, "header": header}
        for index, header in enumerate(job.result.get("ignored_columns") or [])
    ]
    mapped = [
        {**item, "label": column_label(job.kind, item["field"])}
        for item in job.result.get("mapped_columns") or []
    ]
    return {
        "unknown_values": unknown,
        "ignored_columns": ignored,
        "column_options": fields,
        "mapped_columns": mapped,
    }


def import_job(request, token):
    """The preview (errors, duplicates, mapping, the choice) or the progress and result."""
    job = access_import_job(user=request.user, token=token)
    in_progress = (ImportJob.Status.CHECKING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    if job.status in in_progress and import_jobs_unstick():  # a lost worker: ended as failed
        job.refresh_from_db()
    return render(
        request,
        "customers/import/job.html",
        {
            "job": job,
            "form": ImportConfirmForm(),
            "duplicates": [
                {
                    **d,
                    "on_labels": [str(KEY_LABELS.get(k, k)) for k in d["on"]],
                    "choice": (job.row_choices or {}).get(str(d["row"]), ""),
                }
                for d in job.duplicates
            ],
            "row_choices": ImportJob.OnDuplicate.choices,
            "progress": import_job_progress(job),
            "running": job.status
            in (ImportJob.Status.CHECKING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
            "page_title": _("Import"),
            "may_import": _may_import(request.user, job.kind),
            **_mapping_context(job),
        },
    )


@require_POST
def import_confirm(request, token):
    job = access_import_job(user=request.user, token=token)
    if not _may_import(request.user, job.kind):
        raise PermissionDenied
    form = ImportConfirmForm(request.POST)
    if job.status != ImportJob.Status.CHECKED or not form.is_valid():
        return HttpResponse(NOT_CONFIRMABLE, status=409)
    on_duplicate = form.cleaned_data["on_duplicate"]
    row_choices = {
        int(name.removeprefix("row_")): value
        for name, value in request.POST.items()
        if name.startswith("row_")
        and name.removeprefix("row_").isdigit()
        and value in ImportJob.OnDuplicate.values
    }
    job = import_job_confirm(
        job=job, by=request.user, on_duplicate=on_duplicate, row_choices=row_choices
    )
    _dispatch(
        import_run,
        job,
        lambda: customer_import(job=job, by=request.user, on_duplicate=on_duplicate),
    )
    return redirect("customers:import_job", token=job.token)


@require_POST
def import_map(request, token):
    """Save what the unknown values and columns of the file mean (for this
    file and the user's next ones) and check the file again."""
    job = access_import_job(user=request.user, token=token)
    if not _may_import(request.user, job.kind):
        raise PermissionDenied
    if job.status not in (ImportJob.Status.CHECKED, ImportJob.Status.INVALID):
        return HttpResponse(NOT_CONFIRMABLE, status=409)
    unknown = job.result.get("unknown_values") or []
    ignored = job.result.get("ignored_columns") or []
    values = [
        (item["field"], item["value"], request.POST[f"value_{index}"])
        for index, item in enumerate(unknown)
        if request.POST.get(f"value_{index}", NOT_MAPPED) != NOT_MAPPED
    ]
    columns = [
        (header, request.POST[f"column_{index}"])
        for index, header in enumerate(ignored)
        if request.POST.get(f"column_{index}", NOT_MAPPED) != NOT_MAPPED
    ]
    try:
        job = import_mapping_save(job=job, by=request.user, values=values, columns=columns)
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages))
    _dispatch(import_check, job, lambda: import_job_check(job=job))
    return redirect("customers:import_job", token=job.token)


@require_GET
def import_file_download(request, token):
    """The uploaded file, to its creator only (others: 404). Uploads are kept
    in the private storage and have no public URL."""
    job = access_import_job(user=request.user, token=token)
    if not job.file:
        raise Http404("The file has been cleaned up.")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file has been cleaned up.") from exc
    return FileResponse(handle, as_attachment=True, filename=job.file_name)


@require_GET
def import_progress(request, token):
    job = access_import_job(user=request.user, token=token)
    return JsonResponse(import_job_progress(job))


@require_GET
def import_template_download(request, kind):
    if kind not in ImportJob.Kind.values:
        raise Http404("No such template.")
    response = HttpResponse(import_template(kind), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{kind}-import-template.xlsx"'
    return response


INVALID_EXPORT_FILTERS = gettext_noop(
    "The list's filters are not valid; correct them on the list page."
)


@require_GET
def customer_export(request):
    """The customer list as the user sees and filters it, as xlsx."""
    queryset = exports.export_queryset(user=request.user, params=request.GET)
    if queryset is None:
        return HttpResponseBadRequest(_(INVALID_EXPORT_FILTERS))
    return FileResponse(
        exports.customers_xlsx(queryset),
        as_attachment=True,
        filename=exports.export_file_name(),
        content_type=XLSX,
    )


def list_page_actions(request) -> tuple[Action, ...]:
    """Buttons for the customer list page: export (with its filters) and import."""
    query = request.GET.urlencode()
    export_url = reverse("customers:customer_export") + (f"?{query}" if query else "")
    return (
        Action(name=_("Export to Excel"), url=export_url),
        Action(name=_("Import"), url=reverse("customers:import")),
    )


urlpatterns = [
    path("import/", import_start, name="import"),
    path("import/template/<str:kind>.xlsx", import_template_download, name="import_template"),
    path("import/<uuid:token>/", import_job, name="import_job"),
    path("import/<uuid:token>/confirm/", import_confirm, name="import_confirm"),
    path("import/<uuid:token>/progress/", import_progress, name="import_progress"),
    path("import/<uuid:token>/map/", import_map, name="import_map"),
    path("import/<uuid:token>/file/", import_file_download, name="import_file"),
    path("export/", customer_export, name="customer_export"),
]
