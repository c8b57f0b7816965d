"""The flows' own pages, scoped.

viewflow mounts, for every flow, a process page, its chart and a handful of
generic URLs per task (detail, assign, unassign, undo, cancel, revive …).
Those check the flow's permissions but not our data scope, and answer 403
for a process the user may not see, which tells them it exists. Here every
URL that names a process answers 404 unless the process belongs to this
flow, the user may see it (``Flow.has_view_permission(user, obj=process)``:
the document is in their scope or a task of it is theirs) and the task named,
if any, is one of its tasks. viewflow's all-process dashboards are not
mounted: they list every document regardless of scope.
"""

from __future__ import annotations

import functools

from django.http import Http404
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver, path
from viewflow.workflow.flow import FlowViewset

NOT_FOUND = "No such process."


def scoped_to_process(view, flow_class):
    """``view`` answering 404 for a process (and task) the user may not see."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        process = (
            flow_class.process_class._default_manager.filter(
                pk=kwargs["process_pk"], flow_class=flow_class
            )
            .only("pk", "artifact_object_id", "flow_class")
            .first()
        )
        if process is None or not flow_class.instance.has_view_permission(
            request.user, obj=process
        ):
            raise Http404(NOT_FOUND)
        task_pk = kwargs.get("task_pk")
        if task_pk is not None and not process.task_set.filter(pk=task_pk).exists():
            raise Http404(NOT_FOUND)
        return view(request, *args, **kwargs)

    wrapper.scoped_to_process = True
    return wrapper


def _scope_patterns(patterns, flow_class) -> None:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _scope_patterns(pattern.url_patterns, flow_class)
        elif (
            isinstance(pattern, URLPattern)
            and "<int:process_pk>" in str(pattern.pattern)
            and not getattr(pattern.callback, "scoped_to_process", False)
        ):
            pattern.callback = scoped_to_process(pattern.callback, flow_class)


class ScopedFlowViewset(FlowViewset):
    """A flow's process page, chart and task URLs, 404 outside the scope.
    ``inbox`` is the URL name the flow's index redirects to."""

    process_list_path = None
    task_list_path = None
    inbox = ""

    @property
    def index_path(self):
        return path("", lambda request: redirect(self.inbox), name="index")

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        _scope_patterns(patterns, self._flow_class)
        return patterns, app_name, namespace
