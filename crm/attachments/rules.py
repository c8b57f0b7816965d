"""Who may see the attachments of a record: whoever may see the record.

A record's model decides through its own ``visible_to(user)``: every
``ScopedModel`` (customers, contacts, deals, contracts …) takes attachments
with no further code. A model that is not scoped (a knowledge article with
its own visibility) takes attachments only if its app registers a rule, from
its ``AppConfig.ready``::

    from crm.attachments.rules import attachment_rules
    attachment_rules.register("knowledge.article", lambda user: Article.objects.visible_to(user))

Anything else answers 404, as a record outside the scope does.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db import models
from django.http import Http404

from crm.models import ScopedModel


class AttachmentRules:
    def __init__(self) -> None:
        self._rules: dict[str, Callable[..., models.QuerySet]] = {}

    def register(self, label: str, visible: Callable[..., models.QuerySet]) -> None:
        """``visible(user)`` returns the records of ``label`` the user may see."""
        self._rules[label.lower()] = visible

    def unregister(self, label: str) -> None:
        self._rules.pop(label.lower(), None)

    def get(self, label: str):
        return self._rules.get(label.lower())

    def labels(self) -> list[str]:
        return list(self._rules)


#: Non-scoped models that take attachments, with who sees their records.
attachment_rules = AttachmentRules()


def attachable_model(label: str) -> type[models.Model]:
    """The model of ``app_label.model_name`` if its records take attachments, else 404."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError) as exc:
        raise Http404("No such kind of record.") from exc
    if attachment_rules.get(model._meta.label_lower) is None and not issubclass(model, ScopedModel):
        raise Http404("This kind of record takes no attachments.")
    return model


def visible_records(model: type[models.Model], user) -> models.QuerySet:
    """The records of ``model`` that ``user`` may see (their attachments too)."""
    rule = attachment_rules.get(model._meta.label_lower)
    if rule is not None:
        return rule(user)
    if issubclass(model, ScopedModel):
        return model._default_manager.visible_to(user)
    return model._default_manager.none()


def scoped_models() -> list[type[ScopedModel]]:
    return [m for m in apps.get_models() if issubclass(m, ScopedModel)]


def record_label(model_or_record) -> str:
    return model_or_record._meta.label_lower
