"""Route-wide data scope (ORG-3, NFR-4): no record is reachable by its URL
from outside the user's scope.

Every URL pattern of the project that takes an object key is called, for
every scoped model, with the key of a record the user may not see; it must
answer 404 (a POST may also answer 405) and change nothing. For routes whose
model is known, the record's owner must be able to reach the same URL, so
the check cannot pass by accident. Routes and models that later issues add
are picked up by walking the resolver; nothing here lists them. The control
is a superuser (scope "all", every permission), since the owner may lack a
permission (deleting, say) and rightly get 403.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from crm.models import ScopedModel
from tests.scope_examples import EXAMPLES

KEY_NAMES = re.compile(r"^(pk|id|object_id|\w+_pk|\w+_id)$")
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
#: Admin pages are for administrators, whose scope is "all".
SKIPPED_NAMESPACES = {"admin"}


@dataclass(frozen=True)
class ObjectRoute:
    route: str
    name: str
    model: type | None

    def url(self, pk) -> str:
        return "/" + PARAMETER.sub(str(pk), self.route)


def _view_model(callback) -> type | None:
    view_class = getattr(callback, "view_class", None)
    initkwargs = getattr(callback, "view_initkwargs", {}) or {}
    model = initkwargs.get("model") or getattr(view_class, "model", None)
    viewset = initkwargs.get("viewset")
    if model is None and viewset is not None:
        model = getattr(viewset, "model", None)
    return model if isinstance(model, type) else None


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace + (pattern.name or ""), pattern.callback


def object_routes() -> list[ObjectRoute]:
    routes = []
    for route, name, callback in _walk(get_resolver().url_patterns):
        if route.startswith("^"):
            continue  # regex routes: static and media files only
        names = [m["name"] for m in PARAMETER.finditer(route)]
        if not names or not all(KEY_NAMES.match(n) for n in names):
            continue
        model = _view_model(callback)
        if model is not None and not issubclass(model, ScopedModel):
            continue  # not a scoped record; its own tests cover it
        routes.append(ObjectRoute(route=route, name=name, model=model))
    return routes


def scoped_models() -> list[type]:
    return [m for m in apps.get_models() if issubclass(m, ScopedModel)]


ROUTES = object_routes()


def test_the_walk_finds_the_object_routes():
    found = {r.name for r in ROUTES}
    assert {
        "customers:customer:detail",
        "customers:customer:change",
        "customers:contact:detail",
        "customers:followup:detail",
    } <= found


def test_every_scoped_model_has_an_example():
    assert set(scoped_models()) <= set(EXAMPLES), "add a builder to tests/scope_examples.py"


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[r.route for r in ROUTES])
def test_object_route_answers_404_outside_the_scope(route, org, client, admin_user):
    models = [route.model] if route.model else scoped_models()
    for model in models:
        hidden = EXAMPLES[model](org.rep2)  # South China; the user is in East China
        before = model.history.filter(id=hidden.pk).count()
        url = route.url(hidden.pk)

        client.force_login(org.rep)
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "changed"}).status_code in (404, 405), url
        assert model.objects.filter(pk=hidden.pk).exists()
        assert model.history.filter(id=hidden.pk).count() == before

        if route.model is not None:
            client.force_login(admin_user)
            response = client.get(url)
            assert response.status_code in (200, 302), (url, response.status_code)


@pytest.mark.django_db  # guardian looks the model up by its content type
def test_every_scoped_model_shares_through_direct_foreign_key_tables():
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    for model in scoped_models():
        for table in (get_user_obj_perms_model(model), get_group_obj_perms_model(model)):
            field = table._meta.get_field("content_object")
            assert field.is_relation and field.related_model is model, (model, table)
