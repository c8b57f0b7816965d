"""The decision page of an approval step, shared by every document's flow.

A document's view names its template and says what of the document the page
shows; reading the step (404 outside the scope), telling the user why they
may not decide, and calling the one decide service are the same for all.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views import View

from approvals import selectors
from approvals.forms import DecisionForm
from approvals.registry import flow_for
from approvals.services import (
    NOT_YOUR_TASK,
    ApprovalConflict,
    Decision,
    approval_decide,
    may_decide,
)


class ApprovalDecisionView(View):
    document_model = None
    template_name = ""
    #: Where the approver goes after deciding.
    success_url_name = ""
    #: The status of the page shown again for a refused form.
    invalid_status = 200

    @property
    def flow(self):
        return flow_for(self.document_model).instance

    def document_for(self, task):
        """The document of a step ``access_task`` already authorised: an
        approver from another department sees what they must decide."""
        return self.document_model.objects.get(pk=task.process.artifact_object_id)

    def document_context(self, request, task, document) -> dict:  # pragma: no cover
        raise NotImplementedError

    def success_message(self, decision: Decision, document) -> str:  # pragma: no cover
        raise NotImplementedError

    def refusal(self, request, task) -> str:
        """Why the user may not decide this step, if they may not."""
        if task.status not in ("NEW", "ASSIGNED"):
            return gettext("This step is closed.")
        if (task.process.data or {}).get("submitted_by") == request.user.pk:
            return str(self.flow.own_document)
        if not may_decide(request.user, task):
            return str(NOT_YOUR_TASK)
        return ""

    def render_page(self, request, task, document, form, *, error="", status=200):
        context = {
            "task": task,
            "process": task.process.coerced,
            "form": form,
            "refusal": self.refusal(request, task),
            "error": error,
            **self.document_context(request, task, document),
        }
        return render(request, self.template_name, context, status=status)

    def access(self, request, process_pk, task_pk):
        task = selectors.access_task(
            model=self.document_model, user=request.user, process_pk=process_pk, task_pk=task_pk
        )
        return task, self.document_for(task)

    def get(self, request, process_pk, task_pk):
        task, document = self.access(request, process_pk, task_pk)
        form = DecisionForm(decisions=self.flow.decisions)
        return self.render_page(request, task, document, form)

    def post(self, request, process_pk, task_pk):
        task, document = self.access(request, process_pk, task_pk)
        form = DecisionForm(request.POST, decisions=self.flow.decisions)
        if not form.is_valid():
            return self.render_page(request, task, document, form, status=self.invalid_status)
        decision = Decision(form.cleaned_data["decision"])
        try:
            approval_decide(
                task_id=task.pk,
                by=request.user,
                decision=decision,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, field_errors in errors.items():
                for message in field_errors:
                    form.add_error(field if field in form.fields else None, message)
            return self.render_page(request, task, document, form, status=self.invalid_status)
        except PermissionDenied as exc:
            task.refresh_from_db()
            return self.render_page(request, task, document, form, error=str(exc), status=403)
        except ApprovalConflict as exc:
            task.refresh_from_db()
            return self.render_page(request, task, document, form, error=exc.message, status=409)
        messages.success(request, self.success_message(decision, document))
        return HttpResponseRedirect(reverse(self.success_url_name))
