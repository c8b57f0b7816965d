"""The handover page (ORG-4): choose who leaves and who takes over, see what
moves, confirm, and read past handovers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import FormView

from crm.handover import employees_in_scope, handover_perform, handover_preview
from crm.models import Handover


class EmployeeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, employee):
        state = "" if employee.is_active else f" ({_('left')})"
        return f"{employee} · {employee.department}{state}"


class HandoverForm(forms.Form):
    from_employee = EmployeeChoiceField(queryset=None, label=_("Hand over the records of"))
    to_employee = EmployeeChoiceField(queryset=None, label=pgettext_lazy("handover", "To"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        employees = employees_in_scope(user).order_by("user__username")
        self.fields["from_employee"].queryset = employees
        self.fields["to_employee"].queryset = employees.filter(is_active=True, user__is_active=True)


class HandoverView(PermissionRequiredMixin, FormView):
    permission_required = "crm.perform_handover"
    template_name = "crm/handover.html"
    form_class = HandoverForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent"] = Handover.objects.select_related("from_user", "to_user", "by")[:10]
        return context

    def form_valid(self, form):
        from_user = form.cleaned_data["from_employee"].user
        to_user = form.cleaned_data["to_employee"].user
        if not form.cleaned_data["confirm"]:
            # First step: show what would move, ask to confirm.
            data = form.data.copy()
            data["confirm"] = "True"
            return self.render_to_response(
                self.get_context_data(
                    form=HandoverForm(data, user=self.request.user),
                    preview=handover_preview(from_user=from_user),
                )
            )
        try:
            handover = handover_perform(
                from_user=from_user,
                to_user=to_user,
                by=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        moved = sum(handover.summary.values())
        messages.success(
            self.request,
            _("%(count)s records of %(from)s were handed over to %(to)s.")
            % {
                "count": moved,
                "from": form.cleaned_data["from_employee"],
                "to": form.cleaned_data["to_employee"],
            },
        )
        return redirect("organisation:handover")
