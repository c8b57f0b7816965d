"""Discussions about records: topics whose subject is any record.

A ``Topic`` belongs to a discussion group or, through a generic relation, to
one record (a deal, a contract …). ``knowledge`` imports no app to its right,
so an app that wants a discussion on its records registers their model here
from its ``AppConfig.ready``::

    from knowledge.discussions import discussion_subjects
    discussion_subjects.register(Opportunity)

Whoever sees the record (``Model.objects.visible_to(user)`` for a scoped
model, or the ``visible`` callable given at registration) reads and writes
its topics; nobody else (404). ``subject_topics(user=, obj=)`` lists a
record's topics for its page and ``topic_start(..., subject=obj)`` starts one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class Subject:
    model: type[models.Model]
    #: ``visible(user)`` -> the queryset of the records the user may see.
    visible: Callable[..., models.QuerySet]


class SubjectRegistry:
    def __init__(self) -> None:
        self._subjects: dict[str, Subject] = {}

    def register(
        self,
        model: type[models.Model],
        *,
        visible: Callable[..., models.QuerySet] | None = None,
    ) -> None:
        if visible is None:

            def visible(user, model=model):
                return model.objects.visible_to(user)

        self._subjects[model._meta.label] = Subject(model=model, visible=visible)

    def unregister(self, model: type[models.Model]) -> None:
        self._subjects.pop(model._meta.label, None)

    def get(self, model: type[models.Model]) -> Subject | None:
        return self._subjects.get(model._meta.label)

    def __iter__(self):
        return iter(list(self._subjects.values()))

    def condition(self, user) -> Q | None:
        """Topics about a registered record the user may see; ``None``: none."""
        condition = None
        for subject in self:
            content_type = ContentType.objects.get_for_model(subject.model)  # cached
            part = Q(
                content_type_id=content_type.pk,
                object_id__in=subject.visible(user).order_by().values("pk"),
            )
            condition = part if condition is None else condition | part
        return condition


#: Models whose records may carry discussion topics.
discussion_subjects = SubjectRegistry()
