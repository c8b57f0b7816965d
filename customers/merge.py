"""Merging a duplicate customer into another (CUS-8).

Everything that hangs on the source moves to the target: the related
records are found by introspection of ``Customer._meta.related_objects``
(reverse foreign keys, reverse many-to-many and one-to-one relations), so
the relations that later apps add (opportunities, contracts, tickets …)
move without this module knowing them; attachments (a generic relation, not
a foreign key) move through ``crm.attachments.services.attachments_move``.
Skipped: simple-history's tables (their foreign keys are hidden,
``related_name="+"``, so they never show up; the source's own history stays
with the source). guardian's share tables are
unique per (user or group, permission, object): the source's shares that the
target already has are dropped, the others move.

Nothing is deleted: the source is archived with the change reason
"merged into #<target id>", and the target records "merged from #<source id>"
in its history. The target keeps its name; its empty fields are filled from
the source. Both rows are locked in id order, so two merges of the same pair
in opposite directions cannot deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalChanges
from simple_history.utils import bulk_update_with_history
from viewflow.utils import has_object_perm

from crm.attachments.services import attachments_move
from customers.models import Contact, Customer
from customers.normalize import company_name_key, normalize_company_name, normalize_phone
from customers.search import refresh_customer_search

MERGE_INTO_ITSELF = _("A customer cannot be merged into itself.")
MERGE_OUT_OF_SCOPE = _("You can only merge customers that you can see.")
MERGE_NOT_PERMITTED = _("You may not change both customers, so you cannot merge them.")
MERGE_TARGET_ARCHIVED = _("The customer to merge into is archived; restore it first.")
MERGE_SOURCE_ARCHIVED = _("This customer is archived (or merged already) and cannot be merged.")

#: History change reasons. Stored data, in one language for everyone, like the ids they name.
MERGED_INTO = "merged into #{id}"
MERGED_FROM = "merged from #{id}"

#: Fields never copied from the source: who owns it, its state and derived columns.
NOT_FILLED = {
    "id",
    "name",
    "owner",
    "department",
    "branch",
    "created_at",
    "updated_at",
    "is_archived",
    "archived_at",
    "lifecycle_stage",
    "normalized_name",
    "name_key",
    "normalized_phone",
    "search_vector",
}
#: Related models whose owner, department and branch follow their customer's.
FOLLOW_CUSTOMER_SCOPE = (Contact,)
BATCH_SIZE = 500
SHARE_LABELS = {
    UserObjectPermissionBase: _("shares with users"),
    GroupObjectPermissionBase: _("shares with groups"),
}


@dataclass(frozen=True)
class Relation:
    """One kind of record that hangs on a customer and moves in a merge."""

    model: type[models.Model]
    field_name: str  # on ``model`` (or on the through model for many-to-many)
    label: str
    many_to_many: bool = False
    one_to_one: bool = False

    @property
    def is_share(self) -> bool:
        return issubclass(self.model, (UserObjectPermissionBase, GroupObjectPermissionBase))


def _label(model: type[models.Model]) -> str:
    for base, label in SHARE_LABELS.items():
        if issubclass(model, base):
            return str(label)
    return str(model._meta.verbose_name_plural)


def customer_relations() -> list[Relation]:
    """Every relation to a customer that a merge moves, found by introspection."""
    relations = []
    for rel in Customer._meta.related_objects:
        related = rel.related_model
        if isinstance(related, type) and issubclass(related, HistoricalChanges):
            continue
        if rel.many_to_many:
            through = rel.through
            field = next(
                f
                for f in through._meta.concrete_fields
                if f.is_relation and f.related_model is Customer
            )
            relations.append(
                Relation(
                    model=through,
                    field_name=field.name,
                    label=str(related._meta.verbose_name_plural),
                    many_to_many=True,
                )
            )
        else:
            relations.append(
                Relation(
                    model=related,
                    field_name=rel.field.name,
                    label=_label(related),
                    one_to_one=rel.one_to_one,
                )
            )
    for field in Customer._meta.many_to_many:  # forward ones, if a later field adds any
        through = field.remote_field.through
        source_field = field.m2m_field_name()
        relations.append(
            Relation(
                model=through,
                field_name=source_field,
                label=str(field.verbose_name),
                many_to_many=True,
            )
        )
    return relations


def merge_related_counts(*, customer: Customer) -> list[tuple[str, int]]:
    """``(label, count)`` of what a merge would move, in one query however
    many apps relate their records to customers (a scalar subquery each)."""
    relations = customer_relations()
    if not relations:
        return []
    counts = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(
            **{
                f"n{index}": Subquery(
                    relation.model._default_manager.filter(**{relation.field_name: customer.pk})
                    .order_by()
                    .values(relation.field_name)
                    .annotate(n=Count("*"))
                    .values("n")[:1]
                )
                for index, relation in enumerate(relations)
            }
        )
        .values(*(f"n{index}" for index in range(len(relations))))
        .get()
    )
    return [(relation.label, counts[f"n{index}"] or 0) for index, relation in enumerate(relations)]


def _check(*, source: Customer, target: Customer, by) -> None:
    if source.pk == target.pk:
        raise ValidationError(MERGE_INTO_ITSELF)
    visible = Customer.objects.visible_to(by).filter(pk__in=[source.pk, target.pk]).count()
    if visible != 2:
        raise ValidationError(MERGE_OUT_OF_SCOPE)
    if not all(has_object_perm(by, "change", Customer, obj=obj) for obj in (source, target)):
        raise ValidationError(MERGE_NOT_PERMITTED)
    if target.is_archived:
        raise ValidationError(MERGE_TARGET_ARCHIVED)
    if source.is_archived:
        raise ValidationError(MERGE_SOURCE_ARCHIVED)


def _other_unique_fields(relation: Relation) -> list[str]:
    """The share table's fields that, with the customer, make a share unique."""
    for together in relation.model._meta.unique_together:
        if relation.field_name in together:
            return [name for name in together if name != relation.field_name]
    return []


def _move(relation: Relation, *, source: Customer, target: Customer, by) -> int:
    manager = relation.model._default_manager
    on_source = manager.filter(**{relation.field_name: source})
    if relation.one_to_one and manager.filter(**{relation.field_name: target}).exists():
        return 0  # the target has its own; the source keeps its one (archived with it)
    if relation.is_share or relation.many_to_many:
        # Unique per (other side, customer): drop what the target already has.
        others = (
            _other_unique_fields(relation)
            if relation.is_share
            else [
                f.name
                for f in relation.model._meta.concrete_fields
                if f.is_relation and f.name != relation.field_name
            ]
        )
        on_target = manager.filter(**{relation.field_name: target}).values_list(*others)
        if others:
            clash = Q()
            for values in on_target:
                clash |= Q(**dict(zip(others, values, strict=True)))
            if clash:
                on_source.filter(clash).delete()
        return on_source.update(**{relation.field_name: target})

    if relation.model in FOLLOW_CUSTOMER_SCOPE or hasattr(relation.model, "history"):
        return _move_with_history(relation, source=source, target=target, by=by)
    return on_source.update(**{relation.field_name: target})


def _move_with_history(relation: Relation, *, source: Customer, target: Customer, by) -> int:
    """Move records that keep a history, recording the move in it (batch by batch)."""
    fields = [relation.field_name]
    follows = relation.model in FOLLOW_CUSTOMER_SCOPE
    if follows:
        fields += ["owner", "department", "branch"]
    moved = 0
    reason = MERGED_FROM.format(id=source.pk)
    queryset = relation.model._default_manager.filter(**{relation.field_name: source}).order_by(
        "pk"
    )
    while True:
        batch = list(queryset[:BATCH_SIZE])
        if not batch:
            return moved
        for obj in batch:
            setattr(obj, relation.field_name, target)
            if follows:
                obj.owner_id = target.owner_id
                obj.department_id = target.department_id
                obj.branch_id = target.branch_id
        bulk_update_with_history(
            batch,
            relation.model,
            fields,
            batch_size=BATCH_SIZE,
            default_user=by,
            default_change_reason=reason,
        )
        moved += len(batch)


def _fill_empty_fields(*, source: Customer, target: Customer) -> list[str]:
    filled = []
    for field in Customer._meta.concrete_fields:
        if field.name in NOT_FILLED or not field.editable:
            continue
        if field.name == "tags":
            tags = list(dict.fromkeys([*target.tags, *source.tags]))
            if tags != target.tags:
                target.tags = tags
                filled.append("tags")
            continue
        if getattr(target, field.attname) in (None, "") and getattr(source, field.attname) not in (
            None,
            "",
        ):
            setattr(target, field.attname, getattr(source, field.attname))
            filled.append(field.name)
    return filled


@transaction.atomic
def customer_merge(*, source: Customer, target: Customer, by) -> Customer:
    """Merge ``source`` into ``target``: every related record moves to the
    target, the target's empty fields are filled from the source, and the
    source is archived (kept, with its history). Returns the target.
    """
    if source.pk == target.pk:
        raise ValidationError(MERGE_INTO_ITSELF)
    locked = {
        customer.pk: customer
        for customer in Customer.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise ValidationError(MERGE_OUT_OF_SCOPE)
    source, target = locked[source.pk], locked[target.pk]
    _check(source=source, target=target, by=by)

    for relation in customer_relations():
        _move(relation, source=source, target=target, by=by)
    # Attachments hang on the customer by a generic relation, which the
    # introspection of foreign keys does not find.
    attachments_move(from_record=source, to_record=target, by=by)

    filled = _fill_empty_fields(source=source, target=target)
    now = timezone.now()
    source_fields = ["is_archived", "archived_at", "updated_at"]
    if "credit_code" in filled:
        source.credit_code = ""  # unique: it moves to the target
        source_fields.append("credit_code")
    source.is_archived = True
    source.archived_at = now
    source._history_user = by
    source._change_reason = MERGED_INTO.format(id=target.pk)
    source.save(update_fields=source_fields)

    target.normalized_name = normalize_company_name(target.name)
    target.name_key = company_name_key(target.normalized_name)
    target.normalized_phone = normalize_phone(target.phone)
    target.full_clean()
    target._history_user = by
    target._change_reason = MERGED_FROM.format(id=source.pk)
    target.save()
    refresh_customer_search(customer_ids=[target.pk])
    return target
