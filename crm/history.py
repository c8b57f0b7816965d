"""Change history (NFR-2) read from django-simple-history, ready to show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils.translation import pgettext_lazy

CHANGE_TYPES = {
    "+": pgettext_lazy("history", "Created"),
    "~": pgettext_lazy("history", "Changed"),
    "-": pgettext_lazy("history", "Deleted"),
}
HIDDEN_FIELDS = {"updated_at", "created_at"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    by: str
    action: str
    reason: str
    changes: tuple[FieldChange, ...]


def _name(target: models.Model) -> str:
    """How people know a related record: users by their full name."""
    if isinstance(target, AbstractBaseUser):
        return target.get_full_name() or target.get_username()
    return str(target)


def _is_default(record, field: models.Field) -> bool:
    value = getattr(record, field.attname)
    return value in (None, "", [], {}) or (
        not field.is_relation and field.has_default() and value == field.get_default()
    )


def _display(record, field: models.Field, related: dict) -> str:
    value = getattr(record, field.attname)
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return related.get((field.name, value), str(value))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def history_rows(obj: models.Model, *, limit: int = 20) -> list[HistoryRow]:
    """The latest ``limit`` changes of ``obj``, newest first, with field diffs.

    One query for the history (plus one per related model to name foreign
    keys); diffs compare consecutive records fetched together, never one
    query per record.
    """
    manager = getattr(obj, "history", None)
    if manager is None:
        return []
    records = list(manager.select_related("history_user").order_by("-history_id")[: limit + 1])
    model = type(obj)
    fields = [
        f
        for f in model._meta.concrete_fields
        if f.editable and f.name not in HIDDEN_FIELDS and not f.primary_key
    ]

    # Name the foreign keys of all records with one query per related model.
    related: dict = {}
    for field in fields:
        if not field.is_relation:
            continue
        ids = {getattr(r, field.attname) for r in records} - {None}
        if ids:
            for target in field.related_model._default_manager.filter(pk__in=ids):
                related[(field.name, target.pk)] = _name(target)

    rows = []
    for newer, older in zip(records[:limit], [*records[1:], None], strict=False):
        changes = []
        for field in fields:
            new = _display(newer, field, related)
            old = _display(older, field, related) if older is not None else "—"
            if older is None and _is_default(newer, field):
                continue  # a new record: show what was filled in, not defaults
            if new != old:
                changes.append(FieldChange(field=str(field.verbose_name), old=old, new=new))
        user = newer.history_user
        rows.append(
            HistoryRow(
                at=newer.history_date,
                by=_name(user) if user else "",
                action=str(CHANGE_TYPES.get(newer.history_type, newer.history_type)),
                reason=newer.history_change_reason or "",
                changes=tuple(changes),
            )
        )
    return rows
