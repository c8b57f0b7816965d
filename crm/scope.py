"""Data scope (ORG-3): the one mechanism that decides which records a user sees.

``Model.objects.visible_to(user)`` is the only way a list, detail page,
search, report, export or API answer reaches scoped records, and
``access_object`` is the only way a single record is fetched for a user.

A user's scope is the widest of their roles' scopes (own, department subtree,
branch, all). On top of it come records they own, records of which they are a
member (deal teams) and records shared with them or their groups through
django-guardian's direct-foreign-key tables.

Why not guardian's ``get_objects_for_user``: it filters with ``OR pk IN
(subquery)`` over generic tables, which PostgreSQL can only evaluate as a
filter over every row. Here every branch of the ``OR`` is indexable: owner,
department and branch are indexed columns compared with constants, and
memberships/shares become ``pk = ANY(ARRAY(subquery))``. The array subquery
is uncorrelated, so PostgreSQL runs it once as an InitPlan on the indexed
membership/share table and probes the primary key with the result, combining
everything in a BitmapOr. (A correlated ``EXISTS`` under ``OR`` would force a
sequential scan of the scoped table.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models import F, Lookup, Q
from django.http import Http404

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class AnyOf(Lookup):
    """``lhs = ANY(rhs)`` where ``rhs`` is an array expression."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        rhs_sql, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs_sql} = ANY({rhs_sql})", (*lhs_params, *rhs_params)


@dataclass(frozen=True)
class UserScope:
    """What one user may see; computed once per user object (per request)."""

    user_id: int | None
    level: str  # a DataScope value, or "none" for anonymous/inactive users
    department_ids: tuple[int, ...] = field(default=())
    branch_id: int | None = None

    @property
    def sees_all(self) -> bool:
        return self.level == "all"


NO_SCOPE = UserScope(user_id=None, level="none")


def user_scope(user: AbstractBaseUser | Any) -> UserScope:
    """The user's widest scope, cached on the user object."""
    cached = getattr(user, "_crm_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    if user is not None and getattr(user, "is_authenticated", False):
        user._crm_scope = scope
    return scope


def _compute_scope(user) -> UserScope:
    from crm.models import DataScope, Department, Employee, Role

    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    if user.is_superuser:
        return UserScope(user_id=user.pk, level=DataScope.ALL)

    employee = (
        Employee.objects.select_related("department")
        .filter(user_id=user.pk, is_active=True)
        .first()
    )
    if employee is None:
        return UserScope(user_id=user.pk, level=DataScope.OWN)

    levels = Role.objects.filter(group__user=user).values_list("data_scope", flat=True)
    level = max((DataScope(value) for value in levels), key=lambda s: s.rank, default=DataScope.OWN)

    department = employee.department
    department_ids: tuple[int, ...] = ()
    if level == DataScope.DEPARTMENT:
        department_ids = tuple(department.subtree().values_list("pk", flat=True))
    return UserScope(
        user_id=user.pk,
        level=level,
        department_ids=department_ids,
        branch_id=department.branch_id,
    )


def forget_scope(user) -> None:
    """Drop the cached scope (after roles or department changed)."""
    user.__dict__.pop("_crm_scope", None)


def _share_id_querysets(model: type[models.Model], user) -> list[models.QuerySet]:
    """Ids of ``model`` rows shared with the user or one of their groups."""
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    codename = f"view_{model._meta.model_name}"
    user_perms = get_user_obj_perms_model(model)
    group_perms = get_group_obj_perms_model(model)
    return [
        user_perms.objects.filter(user_id=user.pk, permission__codename=codename).values(
            "content_object_id"
        ),
        group_perms.objects.filter(
            group__user=user.pk, permission__codename=codename
        ).values("content_object_id"),
    ]


def _membership_id_querysets(model, user) -> list[models.QuerySet]:
    return [
        apps.get_model(label).objects.filter(**{user_field: user.pk}).values(object_field)
        for label, object_field, user_field in getattr(model, "scope_memberships", ())
    ]


def scope_condition(model: type[models.Model], user) -> Q | None:
    """The WHERE condition of ``user``'s scope on ``model``; ``None`` = everything."""
    scope = user_scope(user)
    if scope.sees_all:
        return None
    if scope.level == "none":
        return Q(pk__in=[])

    condition = Q(owner_id=scope.user_id)
    if scope.level == "department":
        condition |= Q(department_id__in=scope.department_ids)
    elif scope.level == "branch":
        condition |= Q(branch_id=scope.branch_id)
    for ids in (*_membership_id_querysets(model, user), *_share_id_querysets(model, user)):
        condition |= Q(AnyOf(F("pk"), ArraySubquery(ids)))
    return condition


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user) -> ScopedQuerySet:
        condition = scope_condition(self.model, user)
        return self.all() if condition is None else self.filter(condition)


def access_object(queryset_or_model, *, user, **lookup):
    """Fetch one record within ``user``'s scope, or raise 404.

    The single-object counterpart of ``visible_to``; selectors wrap it as
    ``access_<entity>(user=..., pk=...)``.
    """
    queryset = (
        queryset_or_model._default_manager.all()
        if isinstance(queryset_or_model, type)
        else queryset_or_model
    )
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(f"No visible {queryset.model._meta.verbose_name}.") from exc
