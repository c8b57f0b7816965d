"""Which deals an analysis covers: the user's data scope narrowed to me, a
department (with its sub-departments), a branch or everything.

A scope is named by a short key (``owner:12``, ``department:7``, ``branch:3``,
``all``) that snapshots are stored under. A user may ask only for a scope
inside their own data scope; inside it, ``visible_to(user)`` narrowed by the
key selects exactly the deals of the key, whoever asks, so one snapshot
serves everyone allowed to see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from crm.models import Branch, DataScope, Department
from crm.scope import user_scope

ME, DEPARTMENT, BRANCH, ALL = "owner", "department", "branch", "all"

SCOPE_TOO_WIDE = _("Your data scope does not cover the chosen scope; choose a narrower one.")
UNKNOWN_SCOPE = _("Choose a scope: me, a department, a branch or all.")


@dataclass(frozen=True)
class AnalysisScope:
    """A validated scope: its kind, its target and the departments it spans."""

    kind: str
    target_id: int | None = None
    label: str = ""
    department_path: str = ""

    @property
    def key(self) -> str:
        return ALL if self.kind == ALL else f"{self.kind}:{self.target_id}"

    def department_ids(self) -> list[int]:
        """The department and its sub-departments (one query; a literal list
        lets the planner use the deals' department indexes)."""
        return list(
            Department.objects.filter(path__startswith=self.department_path)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    def narrow(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` (a scoped model's) reduced to this scope's records."""
        if self.kind == ME:
            return queryset.filter(owner_id=self.target_id)
        if self.kind == DEPARTMENT:
            return queryset.filter(department_id__in=self.department_ids())
        if self.kind == BRANCH:
            return queryset.filter(branch_id=self.target_id)
        return queryset


def _parse(key: str) -> tuple[str, int | None]:
    if key == ALL:
        return ALL, None
    kind, _sep, raw = (key or "").partition(":")
    if kind not in (ME, DEPARTMENT, BRANCH) or not raw.isdigit():
        raise ValidationError(UNKNOWN_SCOPE, code="unknown")
    return kind, int(raw)


def resolve_scope(user, key: str) -> AnalysisScope:
    """The scope ``key`` if ``user``'s data scope covers it; else ValidationError."""
    kind, target = _parse(key)
    scope = user_scope(user)
    if kind == ME:
        if target != user.pk or scope.level == "none":
            raise ValidationError(SCOPE_TOO_WIDE, code="too_wide")
        return AnalysisScope(ME, target, label=str(_("My deals")))
    if kind == ALL:
        if not scope.sees_all:
            raise ValidationError(SCOPE_TOO_WIDE, code="too_wide")
        return AnalysisScope(ALL, None, label=str(_("All deals")))
    if kind == BRANCH:
        branch = Branch.objects.filter(pk=target).first()
        allowed = scope.sees_all or (scope.level == DataScope.BRANCH and scope.branch_id == target)
        if branch is None or not allowed:
            raise ValidationError(SCOPE_TOO_WIDE, code="too_wide")
        return AnalysisScope(BRANCH, target, label=str(branch))
    department = Department.objects.filter(pk=target).first()
    allowed = department is not None and (
        scope.sees_all
        or (scope.level == DataScope.BRANCH and department.branch_id == scope.branch_id)
        or (scope.level == DataScope.DEPARTMENT and target in scope.department_ids)
    )
    if not allowed:
        raise ValidationError(SCOPE_TOO_WIDE, code="too_wide")
    return AnalysisScope(DEPARTMENT, target, label=str(department), department_path=department.path)


def access_scope(user, key: str) -> AnalysisScope:
    """``resolve_scope`` for pages: a scope the user may not see is a 404."""
    try:
        return resolve_scope(user, key)
    except ValidationError as exc:
        raise Http404("No such analysis.") from exc


def default_scope_key(user) -> str:
    """The widest scope the user has: what a dashboard shows first."""
    scope = user_scope(user)
    if scope.sees_all:
        return ALL
    if scope.level == DataScope.BRANCH and scope.branch_id:
        return f"{BRANCH}:{scope.branch_id}"
    if scope.level == DataScope.DEPARTMENT and scope.department_ids:
        return f"{DEPARTMENT}:{_own_department_id(user)}"
    return f"{ME}:{user.pk}"


def _own_department_id(user) -> int:
    from crm.models import Employee

    return Employee.objects.filter(user_id=user.pk).values_list("department_id", flat=True)[0]


def scope_choices(user) -> list[tuple[str, str]]:
    """The scopes ``user`` may choose, widest first: (key, label)."""
    scope = user_scope(user)
    choices: list[tuple[str, str]] = []
    if scope.sees_all:
        choices.append((ALL, str(_("All deals"))))
        branches = Branch.objects.all()
        departments = Department.objects.select_related("branch")
    elif scope.level == DataScope.BRANCH:
        branches = Branch.objects.filter(pk=scope.branch_id)
        departments = Department.objects.filter(branch_id=scope.branch_id).select_related("branch")
    elif scope.level == DataScope.DEPARTMENT:
        branches = Branch.objects.none()
        departments = Department.objects.filter(pk__in=scope.department_ids).select_related(
            "branch"
        )
    else:
        branches = departments = None
    if branches is not None:
        choices += [(f"{BRANCH}:{b.pk}", str(b)) for b in branches]
        choices += [
            (f"{DEPARTMENT}:{d.pk}", f"{d.branch} · {d}") for d in departments.order_by("path")
        ]
    choices.append((f"{ME}:{user.pk}", str(_("My deals"))))
    return choices
