"""Data scope (ORG-3): the one mechanism that decides which records a user sees.

``Model.objects.visible_to(user)`` is the only way a list, detail page,
search, report, export or API answer reaches scoped records, and
``access_object`` is the only way a single record is fetched for a user.
``search_visible_to(user, text=...)`` is ``visible_to`` with a text search,
the scope written into the search so that one GIN index answers both.

A user's scope is the widest of their roles' scopes (own, department subtree,
branch, all). On top of it come records they own, records of which they are a
member (deal teams) and records shared with them or their groups through
django-guardian's direct-foreign-key tables.

How it stays fast at millions of rows. The scope is one indexed predicate
(``owner_id = me``, ``department_id IN (subtree)`` or ``branch_id = mine``),
so a count is an index-only scan and a page walks an index. The extra ways
in (shares, memberships, own records left outside the scope after a move)
are rare, so they are looked up first -- in the same single query as the
employee, their roles and the department subtree, once per request and model
(``load_scopes`` takes several models at once) -- and added to the condition
only when they exist: as ``pk IN (ids)`` for a
short list, or as ``pk = ANY(ARRAY(subquery))`` on the membership and share
tables for a long one. Any ``OR`` makes PostgreSQL combine bitmaps and read
every matching table page, so it is only paid by the users who need it.
(Guardian's ``get_objects_for_user`` and a correlated ``EXISTS`` under
``OR`` both scan the whole table instead.)
"""

from __future__ import annotations

from collections.abc import Iterable
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


def user_scope(
    user: AbstractBaseUser | Any, *, model: type[models.Model] | None = None
) -> UserScope:
    """The user's widest scope, cached on the user object (one per request).

    A page that reads the scope before it lists ``model`` (a filter form
    offering the employees in scope) passes ``model``: its shares and
    memberships then come in the same query, and the list needs none.
    """
    cached = getattr(user, "_crm_scope", None)
    if cached is not None and model is None:
        return cached
    scope, _ = _load(user, model=model)
    return scope


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


def _load(user, *, model: type[models.Model] | None) -> tuple[UserScope, _Extras | None]:
    """The user's scope and, for ``model``, the extra ways in (see ``load_scopes``)."""
    scope = load_scopes(user, [model] if model is not None else [])
    if model is None:
        return scope, None
    return scope, user.__dict__.get("_crm_scope_extras", {}).get(model._meta.label)


def load_scopes(user, models_: Iterable[type[models.Model]] = ()) -> UserScope:
    """The user's scope and the extra ways into each of ``models_``, in one query.

    Cached on the user object: the scope once, the extras once per model.
    A request thus pays one round trip for its whole scope (the employee,
    their roles, the department subtree, shares, memberships and own records
    outside the scope), however many checks it makes; a page that reads
    several models (the one-box search) loads them all at once.
    """
    from crm.models import DataScope

    cached_scope = getattr(user, "_crm_scope", None)
    extras_cache = user.__dict__.get("_crm_scope_extras", {}) if user is not None else {}
    wanted = {model._meta.label: model for model in models_}
    missing = [model for label, model in wanted.items() if label not in extras_cache]
    if cached_scope is not None and not missing:
        return cached_scope

    if user is None or not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    if user.is_superuser:
        scope = UserScope(user_id=user.pk, level=DataScope.ALL)
        user._crm_scope = scope
        return scope

    sql, params = _scope_sql(user, missing)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rank, branch_id, department_ids, *per_model = cursor.fetchone()

    levels = list(DataScope)
    level = levels[rank] if rank is not None else DataScope.OWN
    scope = cached_scope or UserScope(
        user_id=user.pk,
        level=level,
        department_ids=tuple(department_ids or ()) if level == DataScope.DEPARTMENT else (),
        branch_id=branch_id,
    )
    user._crm_scope = scope
    cache = user.__dict__.setdefault("_crm_scope_extras", {})
    for index, model in enumerate(missing):
        ids = tuple(per_model[2 * index] or ())
        cache[model._meta.label] = _Extras(
            ids=ids[:MAX_LISTED_IDS],
            too_many_ids=len(ids) > MAX_LISTED_IDS,
            owns_outside=bool(per_model[2 * index + 1]),
        )
    return scope


#: Stands for the user's id while a scope query is compiled; no user has it.
_ANY_USER = -7_654_321_987
#: Compiled scope queries by the models (and their membership tables) they cover.
_compiled: dict[tuple, tuple[str, tuple]] = {}


def _scope_sql(user, models_: list[type[models.Model]]) -> tuple[str, list]:
    """The scope query for ``user``: compiled once per set of models (the ORM's
    compiling of the share and membership unions costs more than running
    them), with the user's id put into its parameters on each call."""
    key = tuple(
        (model._meta.label, tuple(getattr(model, "scope_memberships", ()))) for model in models_
    )
    if key not in _compiled:
        placeholder = type("AnyUser", (), {"pk": _ANY_USER})()
        sql, params = _compile_scope_sql(placeholder, models_)
        _compiled[key] = (sql, tuple(params))
    sql, params = _compiled[key]
    return sql, [user.pk if type(p) is int and p == _ANY_USER else p for p in params]


def _compile_scope_sql(user, models_: list[type[models.Model]]) -> tuple[str, list]:
    """``SELECT rank, branch_id, department_ids, (ids, owns_outside) per model``.

    ``me`` is the user's active employee with their widest role (the rank of
    ``DataScope``), left-joined so that a user without an employee record
    still gets their shares. The subtree and the own-records-outside probes
    are evaluated only for the rank that needs them (``CASE`` runs its
    subqueries lazily).
    """
    from django.contrib.auth import get_user_model

    from crm.models import DataScope, Department, Employee, Role

    qn = connection.ops.quote_name
    user_groups = get_user_model().groups.through
    ranks = " ".join(f"WHEN %s THEN {scope.rank}" for scope in DataScope)
    department_rank = DataScope.DEPARTMENT.rank
    branch_rank = DataScope.BRANCH.rank
    params: list = []

    select = [
        "me.rank",
        "me.branch_id",
        f"CASE WHEN me.rank = {department_rank} THEN ARRAY("
        f"SELECT sub.id FROM {qn(Department._meta.db_table)} AS sub"
        " WHERE starts_with(sub.path, me.path)) END",
    ]
    for model in models_:
        id_querysets = [
            *_membership_id_querysets(model, user),
            *_share_id_querysets(model, user),
        ]
        union = (
            id_querysets[0].union(*id_querysets[1:]) if len(id_querysets) > 1 else id_querysets[0]
        )
        query = model._default_manager.all().query
        compiler = query.get_compiler(using=model._default_manager.db)
        ids_sql, ids_params = compiler.compile(
            ArraySubquery(union[: MAX_LISTED_IDS + 1]).resolve_expression(query)
        )
        select.append(ids_sql)
        params.extend(ids_params)
        table = qn(model._meta.db_table)
        owner = qn(model._meta.get_field("owner").column)
        department = qn(model._meta.get_field("department").column)
        branch = qn(model._meta.get_field("branch").column)
        select.append(
            f"CASE me.rank"
            f" WHEN {department_rank} THEN EXISTS (SELECT 1 FROM {table} AS t"
            f" JOIN {qn(Department._meta.db_table)} AS td ON td.id = t.{department}"
            f" WHERE t.{owner} = %s AND NOT starts_with(td.path, me.path))"
            f" WHEN {branch_rank} THEN EXISTS (SELECT 1 FROM {table} AS t"
            f" WHERE t.{owner} = %s AND t.{branch} <> me.branch_id)"
            " ELSE false END"
        )
        params += [user.pk, user.pk]

    sql = (
        f"SELECT {', '.join(select)} FROM (SELECT 1) AS one LEFT JOIN ("
        " SELECT d.branch_id, d.path,"
        f" (SELECT max(CASE r.data_scope {ranks} END)"
        f" FROM {qn(user_groups._meta.db_table)} AS ug"
        f" JOIN {qn(Role._meta.db_table)} AS r ON r.group_id = ug.group_id"
        " WHERE ug.user_id = %s) AS rank"
        f" FROM {qn(Employee._meta.db_table)} AS e"
        f" JOIN {qn(Department._meta.db_table)} AS d ON d.id = e.department_id"
        " WHERE e.user_id = %s AND e.is_active"
        ") AS me ON true"
    )
    params += [scope.value for scope in DataScope] + [user.pk, user.pk]
    return sql, params


def scope_condition(model: type[models.Model], user) -> Q | None:
    """The WHERE condition of ``user``'s scope on ``model``; ``None`` = everything."""
    scope, extras = _load(user, model=model)
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

    if extras.owns_outside:
        condition |= Q(owner_id=scope.user_id)
    if extras.too_many_ids:
        for ids in (*_membership_id_querysets(model, user), *_share_id_querysets(model, user)):
            condition |= Q(AnyOf(F("pk"), ArraySubquery(ids)))
    elif extras.ids:
        condition |= Q(pk__in=extras.ids)
    return condition


# --- Text search within the scope ----------------------------------------------
#
# A search for a common word inside a branch would otherwise AND two bitmaps:
# the word's (from the GIN index of ``search_vector``) and the branch's (from
# its B-tree, hundreds of thousands of rows), and read a heap page for every
# row of either side that survives. The scoped search document adds the
# record's branch, department and owner to its words as lexemes that no
# search token can be (``#`` is never part of one), so that one GIN index
# answers "this word, in this branch" and hands over exactly the rows needed.


class ScopedMatch(models.Func):
    """``<scoped document> @@ (to_tsquery('simple', text) && <scope lexemes>)``,
    or without the scope lexemes (``scope_query=None``) for a user who sees all.

    The scoped document is ``search_vector`` with ``#b<branch>``,
    ``#d<department>`` and ``#o<owner>``: the expression of the GIN indexes
    ``customer_scoped_search`` and ``contact_scoped_search`` (migration
    ``customers.0005``), the only text indexes of those tables. A model
    searched with ``search_visible_to`` needs an index on the same
    expression, written the same way.
    """

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, text: str, scope_query: str | None):
        super().__init__(F("branch_id"), F("department_id"), F("owner_id"), F("search_vector"))
        self.text, self.scope_query = text, scope_query

    def as_sql(self, compiler, connection, **extra):
        columns, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            columns.append(sql)
            params.extend(expression_params)
        branch, department, owner, document = columns
        scoped_document = (
            f"(array_to_tsvector(ARRAY['#b' || {branch}::text, '#d' || {department}::text,"
            f" '#o' || COALESCE({owner}::text, '')]) || {document})"
        )
        if self.scope_query is None:
            return (
                f"({scoped_document} @@ to_tsquery('simple'::regconfig, %s))",
                (*params, self.text),
            )
        sql = f"({scoped_document} @@ (to_tsquery('simple'::regconfig, %s) && %s::tsquery))"
        return sql, (*params, self.text, self.scope_query)


def _scope_lexemes(scope: UserScope, extras: _Extras) -> list[str]:
    """The lexemes of the scoped search document that ``scope`` covers."""
    if scope.level == "department":
        lexemes = [f"#d{pk}" for pk in scope.department_ids]
    elif scope.level == "branch":
        lexemes = [f"#b{scope.branch_id}"]
    else:
        lexemes = [f"#o{scope.user_id}"]
    if extras.owns_outside:
        lexemes.append(f"#o{scope.user_id}")
    return lexemes


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user) -> ScopedQuerySet:
        condition = scope_condition(self.model, user)
        return self.all() if condition is None else self.filter(condition)

    def search_visible_to(self, user, *, text: str, also: Q | None = None) -> ScopedQuerySet:
        """The rows of ``visible_to(user)`` whose ``search_vector`` matches
        ``to_tsquery('simple', text)``, or that satisfy ``also`` -- the same
        rows, with the scope written into the text search, so that the GIN
        index of ``ScopedSearchDocument`` answers both at once.

        ``text`` must be built from plain tokens (``customers.search.tsquery``).
        Shares and memberships are added by id, as in ``visible_to``; ``also``
        is combined with ``visible_to``'s own condition.
        """
        from django.contrib.postgres.search import SearchQuery

        matches = Q(search_vector=SearchQuery(text, search_type="raw", config="simple"))
        scope, extras = _load(user, model=self.model)
        if scope.sees_all:
            everything = Q(ScopedMatch(text, None))
            return self.filter(everything if also is None else everything | also)
        if scope.level == "none":
            return self.none()
        scope_query = " | ".join(f"'{lexeme}'" for lexeme in _scope_lexemes(scope, extras))
        condition = Q(ScopedMatch(text, scope_query))
        if extras.too_many_ids:
            for ids in (
                *_membership_id_querysets(self.model, user),
                *_share_id_querysets(self.model, user),
            ):
                condition |= Q(AnyOf(F("pk"), ArraySubquery(ids))) & matches
        elif extras.ids:
            condition |= Q(pk__in=extras.ids) & matches
        if also is not None:
            condition |= also & scope_condition(self.model, user)
        return self.filter(condition)


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


def lock_object(queryset, *, user, obj):
    """``obj`` (an instance or a primary key) locked for the transaction
    (``SELECT … FOR UPDATE`` of its own row) and only if ``user`` sees it, else
    404 -- how a service starts a write on a scoped record."""
    pk = getattr(obj, "pk", obj)
    return access_object(queryset.select_for_update(of=("self",)), user=user, pk=pk)


def in_own_scope(user, record) -> bool:
    """Whether ``record`` (a scoped record) is within ``user``'s own data
    scope: theirs, their department subtree's, their branch's, or everyone's
    -- not merely shared with them or reached through a team membership.
    Seeing a record is ``visible_to``; acting on it as its owner or the
    owner's manager is this. No query once the scope is loaded."""
    if user is None or not user.is_authenticated:
        return False
    if record.owner_id is not None and record.owner_id == user.pk:
        return True
    scope = user_scope(user)
    if scope.sees_all:
        return True
    if scope.level == "branch":
        return record.branch_id is not None and record.branch_id == scope.branch_id
    if scope.level == "department":
        return record.department_id in scope.department_ids
    return False
