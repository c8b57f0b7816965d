"""Data scope (ORG-3): the one mechanism that decides which records a user sees.

``Model.objects.visible_to(user)`` is the only way a list, detail page,
search, report, export or API answer reaches scoped records, and
``access_object`` is the only way a single record is fetched for a user.

A user's scope is the widest of their roles' scopes (own, department subtree,
branch, all). On top of it come records they own, records of which they are a
member (deal teams) and records shared with them or their groups through
django-guardian's direct-foreign-key tables.

How it stays fast at millions of rows. The scope is one indexed predicate
(``owner_id = me``, ``department_id IN (subtree)`` or ``branch_id = mine``),
so a count is an index-only scan and a page walks an index. The extra ways
in (shares, memberships, own records left outside the scope after a move)
are rare, so they are looked up first, in one query on their indexed tables,
and added to the condition only when they exist: as ``pk IN (ids)`` for a
short list, or as ``pk = ANY(ARRAY(subquery))`` on the membership and share
tables for a long one. Any ``OR`` makes PostgreSQL combine bitmaps and read
every matching table page, so it is only paid by the users who need it.
(Guardian's ``get_objects_for_user`` and a correlated ``EXISTS`` under
``OR`` both scan the whole table instead.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, models
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
    """The user's widest scope, cached on the user object (one per request)."""
    cached = getattr(user, "_crm_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    if user is not None and getattr(user, "is_authenticated", False):
        user._crm_scope = scope
    return scope


def _compute_scope(user) -> UserScope:
    from django.contrib.postgres.aggregates import ArrayAgg

    from crm.models import DataScope, Department, Employee

    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    if user.is_superuser:
        return UserScope(user_id=user.pk, level=DataScope.ALL)

    employee = (
        Employee.objects.filter(user_id=user.pk, is_active=True)
        .select_related("department")
        .annotate(scopes=ArrayAgg("user__groups__role__data_scope", default=[]))
        .first()
    )
    if employee is None:
        return UserScope(user_id=user.pk, level=DataScope.OWN)

    level = max(
        (DataScope(value) for value in employee.scopes if value),
        key=lambda s: s.rank,
        default=DataScope.OWN,
    )
    department = employee.department
    department_ids: tuple[int, ...] = ()
    if level == DataScope.DEPARTMENT:
        department_ids = tuple(
            Department.objects.filter(path__startswith=department.path)
            .order_by()
            .values_list("pk", flat=True)
        )
    return UserScope(
        user_id=user.pk,
        level=level,
        department_ids=department_ids,
        branch_id=department.branch_id,
    )


def forget_scope(user) -> None:
    """Drop the cached scope (after roles, department or shares changed)."""
    user.__dict__.pop("_crm_scope", None)
    user.__dict__.pop("_crm_scope_extras", None)


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
        group_perms.objects.filter(group__user=user.pk, permission__codename=codename).values(
            "content_object_id"
        ),
    ]


def _membership_id_querysets(model, user) -> list[models.QuerySet]:
    return [
        apps.get_model(label).objects.filter(**{user_field: user.pk}).values(object_field)
        for label, object_field, user_field in getattr(model, "scope_memberships", ())
    ]


#: Above this many shared/member ids the condition probes the tables instead.
MAX_LISTED_IDS = 1000


@dataclass(frozen=True)
class _Extras:
    ids: tuple[int, ...]  # shared with the user or a member of; may be cut short
    too_many_ids: bool
    owns_outside: bool  # owns records outside the department/branch scope


def _extras(model: type[models.Model], user, scope: UserScope) -> _Extras:
    """Shares, memberships and stray own records, in one indexed query."""
    cache = user.__dict__.setdefault("_crm_scope_extras", {})
    key = model._meta.label
    if key in cache:
        return cache[key]

    id_querysets = [*_membership_id_querysets(model, user), *_share_id_querysets(model, user)]
    union = id_querysets[0].union(*id_querysets[1:]) if len(id_querysets) > 1 else id_querysets[0]
    annotations = {"ids": ArraySubquery(union[: MAX_LISTED_IDS + 1])}
    if scope.level == "department":
        outside = ~Q(department_id__in=scope.department_ids)
    elif scope.level == "branch":
        outside = ~Q(branch_id=scope.branch_id)
    else:
        outside = None
    if outside is not None:
        annotations["owns_outside"] = models.Exists(
            model._default_manager.filter(Q(owner_id=scope.user_id) & outside)
        )
    row = _select_values(model, annotations)
    ids = tuple(row["ids"] or ())
    extras = _Extras(
        ids=ids[:MAX_LISTED_IDS],
        too_many_ids=len(ids) > MAX_LISTED_IDS,
        owns_outside=bool(row.get("owns_outside")),
    )
    cache[key] = extras
    return extras


def _select_values(model: type[models.Model], expressions: dict) -> dict:
    """``SELECT <expr> AS <name>, ...`` for uncorrelated expressions, no FROM."""
    query = model._default_manager.all().query
    compiler = query.get_compiler(using=model._default_manager.db)
    columns, params = [], []
    for name, expression in expressions.items():
        sql, expression_params = compiler.compile(expression.resolve_expression(query))
        columns.append(f"{sql} AS {connection.ops.quote_name(name)}")
        params.extend(expression_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        return dict(zip(expressions, cursor.fetchone(), strict=True))


def scope_condition(model: type[models.Model], user) -> Q | None:
    """The WHERE condition of ``user``'s scope on ``model``; ``None`` = everything."""
    scope = user_scope(user)
    if scope.sees_all:
        return None
    if scope.level == "none":
        return Q(pk__in=[])

    if scope.level == "department":
        condition = Q(department_id__in=scope.department_ids)
    elif scope.level == "branch":
        condition = Q(branch_id=scope.branch_id)
    else:
        condition = Q(owner_id=scope.user_id)

    extras = _extras(model, user, scope)
    if extras.owns_outside:
        condition |= Q(owner_id=scope.user_id)
    if extras.too_many_ids:
        for ids in (*_membership_id_querysets(model, user), *_share_id_querysets(model, user)):
            condition |= Q(AnyOf(F("pk"), ArraySubquery(ids)))
    elif extras.ids:
        condition |= Q(pk__in=extras.ids)
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
