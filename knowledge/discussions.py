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


def access_subject(*, user, content_type_id, object_id):
    """The registered record ``(content_type_id, object_id)`` if ``user`` sees it, else 404."""
    from django.http import Http404

    try:
        model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
    except (ContentType.DoesNotExist, TypeError, ValueError) as exc:
        raise Http404("No such kind of record.") from exc
    subject = discussion_subjects.get(model) if model is not None else None
    if subject is None:
        raise Http404("Records of this kind have no discussion.")
    found = subject.visible(user).filter(pk=object_id).first()
    if found is None:
        raise Http404("No visible record.")
    return found


#: Topics listed on a record's page; the rest are one search away.
SUBJECT_TOPICS_SHOWN = 20


def subject_discussion_panel(request, obj) -> dict:
    """Context of ``knowledge/panels/subject_discussion.html``: a record's
    topics and the form to start one. A record page of another app adds it
    as a panel (e.g. ``deal_panels.register(Panel(key="discussion",
    template_name="knowledge/panels/subject_discussion.html",
    context=subject_discussion_panel))``)."""
    from django.urls import reverse

    from knowledge.forms import TopicForm
    from knowledge.selectors import subject_topics

    content_type = ContentType.objects.get_for_model(type(obj))
    topics = list(subject_topics(user=request.user, obj=obj)[: SUBJECT_TOPICS_SHOWN + 1])
    return {
        "subject": obj,
        "topics": topics[:SUBJECT_TOPICS_SHOWN],
        "more": len(topics) > SUBJECT_TOPICS_SHOWN,
        "form": TopicForm(),
        "start_url": reverse(
            "knowledge:groups:about",
            kwargs={"content_type_id": content_type.pk, "object_id": obj.pk},
        ),
        "can_post": request.user.has_perm("knowledge.add_topic"),
    }
