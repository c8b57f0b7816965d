"""Attachments in the one-box search (KNW-4): by name and by the text inside.

How the scope gets into the search, at a million texts. An attachment is
visible when its *record* is, and records of many models carry attachments.
Checking "is the record visible" for every attachment that contains a
common word would read all of them; so each attachment carries a copy of
its record's owner, department and branch (written on upload, on handover
and by an hourly repair task), and its search document holds them as
lexemes (``#b``/``#d``/``#o``, as ``crm.scope.ScopedMatch`` does for
customers). One GIN index (``attachment_scoped_search``, migration
``crm.0005``) then answers "this word, among the attachments of records in
my branch" and hands over only those rows. Deal-team memberships and shares
of each model come in as ``(content_type, object_id)`` lists, as in
``search_visible_to``; records of non-scoped models with a rule
(``crm.attachments.rules``) through their rule.

The copy is an index, not the access rule: every row the index returns is
also checked against its record's own ``visible_to(user)`` (one correlated
``EXISTS`` on the record's primary key per candidate row), so a copy that is
stale -- a deal claimed from the pool a minute ago -- can hide a hit until
the repair task runs, but never show one to someone who may not see it.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery
from django.db import models
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from crm.attachments.models import Attachment
from crm.attachments.rules import attachment_rules, scoped_models, visible_records
from crm.scope import (
    AnyOf,
    _membership_id_querysets,
    _scope_lexemes,
    _share_id_querysets,
    load_scopes,
)
from crm.search import SearchHit, SearchProvider, search_providers
from crm.textsearch import text_tsquery

#: The scoped search document; the GIN index of migration crm.0005 has exactly
#: this expression (owner, department and branch are empty for records of
#: non-scoped models).
DOCUMENT_SQL = (
    "(array_to_tsvector(ARRAY['#b' || COALESCE({branch}::text, ''),"
    " '#d' || COALESCE({department}::text, ''),"
    " '#o' || COALESCE({owner}::text, '')]) || {document})"
)
#: A common word is ranked over at most this many of its matches.
CANDIDATES = 500


class AttachmentMatch(models.Func):
    """``<scoped document> @@ (to_tsquery('simple', text) [&& <scope lexemes>])``."""

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
        scoped = DOCUMENT_SQL.format(
            branch=branch, department=department, owner=owner, document=document
        )
        if self.scope_query is None:
            return f"({scoped} @@ to_tsquery('simple'::regconfig, %s))", (*params, self.text)
        sql = f"({scoped} @@ (to_tsquery('simple'::regconfig, %s) && %s::tsquery))"
        return sql, (*params, self.text, self.scope_query)


def search_attachments(user, query: str) -> models.QuerySet | None:
    """The active attachments of records ``user`` may see whose name or text
    matches ``query``; ``None`` when the query is noise."""
    text = text_tsquery(query)
    if not text:
        return None
    models_ = scoped_models()
    scope = load_scopes(user, models_)  # one query for every model's scope
    if scope.level == "none":
        return Attachment.objects.none()
    content_types = ContentType.objects.get_for_models(*models_)
    matches = Q(search_vector=SearchQuery(text, search_type="raw", config="simple"))
    extras = user.__dict__.get("_crm_scope_extras", {})

    if scope.sees_all:
        found = Q(AttachmentMatch(text, None)) & Q(content_type__in=content_types.values())
        checked = None
    else:
        lexemes = {
            lexeme
            for model in models_
            for lexeme in _scope_lexemes(scope, extras[model._meta.label])
        }
        scope_query = " | ".join(f"'{lexeme}'" for lexeme in sorted(lexemes))
        found = Q(AttachmentMatch(text, scope_query))
        checked = Q(pk__in=[])
        for model in models_:
            content_type = content_types[model]
            model_extras = extras[model._meta.label]
            on_model = Q(content_type_id=content_type.pk)
            if model_extras.too_many_ids:
                for ids in (
                    *_membership_id_querysets(model, user),
                    *_share_id_querysets(model, user),
                ):
                    found |= on_model & Q(AnyOf(F("object_id"), ArraySubquery(ids))) & matches
            elif model_extras.ids:
                found |= on_model & Q(object_id__in=model_extras.ids) & matches
            checked |= on_model & Exists(
                visible_records(model, user).filter(pk=OuterRef("object_id"))
            )
    for label in attachment_rules.labels():
        model = ContentType.objects.get_by_natural_key(*label.split(".")).model_class()
        if model is None:
            continue
        on_rule = Q(content_type=ContentType.objects.get_for_model(model)) & Q(
            object_id__in=visible_records(model, user).values("pk")
        )
        found |= on_rule & matches
        if not scope.sees_all:
            checked |= on_rule
    queryset = Attachment.objects.filter(found, is_archived=False)
    if not scope.sees_all:
        queryset = queryset.filter(checked)
    return queryset


class AttachmentSearchProvider(SearchProvider):
    key = "attachments"
    title = _("Attachments")
    order = 80

    def queryset(self, *, user, query: str):
        matches = search_attachments(user, query)
        if matches is None:
            return None
        candidates = matches.order_by().values("pk")[:CANDIDATES]
        named = Case(
            When(name__icontains=query, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        return (
            # ``= ANY(ARRAY(…))``: the candidates are found once, then fetched
            # by primary key. With ``IN (…)`` the planner may walk every
            # attachment in rank order looking for them (seconds at 50,000).
            Attachment.objects.filter(AnyOf(F("pk"), ArraySubquery(candidates)))
            .select_related("content_type", "uploaded_by")
            .only(
                "id",
                "name",
                "size",
                "uploaded_at",
                "content_type__app_label",
                "content_type__model",
                "uploaded_by__username",
                "uploaded_by__first_name",
                "uploaded_by__last_name",
            )
            .annotate(_named=named)
            .order_by(F("_named").desc(), "-uploaded_at", "-id")
        )

    def hit(self, obj: Attachment) -> SearchHit:
        model = obj.content_type.model_class()
        details = [
            str(capfirst(model._meta.verbose_name)) if model else "",
            obj.uploaded_by_name,
            date_format(localtime(obj.uploaded_at), "SHORT_DATE_FORMAT"),
        ]
        return SearchHit(
            title=obj.name,
            url=reverse("attachment_record", kwargs={"pk": obj.pk}),
            detail=" · ".join(d for d in details if d),
        )


def register() -> None:
    search_providers.register(AttachmentSearchProvider())
