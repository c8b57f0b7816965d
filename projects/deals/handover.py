"""On a handover (ORG-4) the leaving user's open to-dos go to the colleague,
with a history entry each. Registered from ``ProjectsConfig.ready``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from crm.handover import HandoverStep, register_handover_step
from projects.models import Todo


def _open_todos(user):
    return Todo.objects.filter(assignee=user, done_at__isnull=True)


def todos_hand_over(*, from_user, to_user, by, reason: str = "") -> int:
    todos = list(_open_todos(from_user).select_for_update().order_by("pk"))
    for todo in todos:
        todo.assignee = to_user
    if todos:
        bulk_update_with_history(
            todos,
            Todo,
            ["assignee"],
            default_user=by,
            default_change_reason=reason or str(_("Handover")),
        )
    return len(todos)


def register() -> None:
    register_handover_step(
        HandoverStep(
            key="projects.Todo",
            label=_("open to-dos"),
            count=lambda user: _open_todos(user).count(),
            perform=todos_hand_over,
        )
    )
