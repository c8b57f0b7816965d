"""Writes on opportunities (OPP-1..10). Each service is one transaction.

``opportunity_move`` is the only way a deal changes stage -- from the edit
form, the pipeline board, a close or a reopen -- so the rules and the
``StageEvent`` that the funnel reads are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm.handover import employees_in_scope
from crm.scope import lock_object
from customers.models import Contact, Customer, CustomerType, LifecycleStage
from customers.services import customer_change_stage, follow_up_create
from projects.deals.hooks import deal_closed_hooks
from projects.deals.permissions import deal_rights
from projects.deals.signals import stages_changed
from projects.models import (
    Comment,
    Evaluation,
    EvaluationAnswer,
    GradeThreshold,
    LossReason,
    Opportunity,
    OpportunityMember,
    OpportunityPartner,
    OpportunityProduct,
    Process,
    Product,
    Question,
    Stage,
    StageEvent,
    StagePlan,
    Todo,
)

STAGE_OF_OTHER_PROCESS = _("This stage belongs to another sales process.")
STAGE_INACTIVE = _("This stage is no longer in use.")
LOSS_REASON_REQUIRED = _("Choose why the deal was lost.")
REOPEN_FIRST = _("The deal is closed; reopen it before closing it another way.")
REOPEN_TO_OPEN_STAGE = _("A deal is reopened into an open stage.")
MOVE_BEFORE_LAST = _("A stage change cannot be dated before the deal's last stage change.")
NOT_IN_POOL = _("This deal is no longer in the pool.")
OWNER_OUTSIDE_SCOPE = _("You can only assign deals to active employees within your data scope.")
CANNOT_ASSIGN = _("You are not allowed to assign deals.")
CANNOT_CHANGE = _("You are not allowed to change this deal.")
CANNOT_TAKE = _("Only the deal's owner or their manager decides who owns it.")
CLOSED_DEAL = _("The deal is closed; reopen it first.")
PARTNER_NOT_PARTNER = _("Only partner and distributor companies can be added as partners.")
ANSWER_EVERY_QUESTION = _("Answer every question.")
NO_QUESTIONS = _("This sales process has no qualification questions yet.")
CONTACT_OF_OTHER_CUSTOMER = _("Choose contacts of the deal's customer.")
PRODUCT_INACTIVE = _("This product is no longer sold.")

#: Lifecycle stages a won deal lifts to "customer"; later ones become "repeat".
_BEFORE_CUSTOMER = {
    LifecycleStage.TARGET,
    LifecycleStage.POTENTIAL,
    LifecycleStage.OPPORTUNITY,
    LifecycleStage.SOLUTION,
    LifecycleStage.NEGOTIATION,
    LifecycleStage.STALLED,
    LifecycleStage.LOST,
}
_AFTER_CUSTOMER = {
    LifecycleStage.CUSTOMER,
    LifecycleStage.DELIVERY,
    LifecycleStage.ACCEPTANCE,
    LifecycleStage.SERVICE,
}


def _check_stage(opportunity: Opportunity, stage: Stage) -> None:
    if stage.process_id != opportunity.process_id:
        raise ValidationError({"stage": STAGE_OF_OTHER_PROCESS})
    if not stage.is_active:
        raise ValidationError({"stage": STAGE_INACTIVE})


def _check_can_change(opportunity: Opportunity, by) -> None:
    """``by`` may change deals and may work this one (not merely see it)."""
    if by is None:
        return
    if not by.has_perm("projects.change_opportunity") or not deal_rights(by, opportunity).act:
        raise PermissionDenied(CANNOT_CHANGE)


def _check_can_take(opportunity: Opportunity, by) -> None:
    """``by`` decides who owns this deal: its owner or their manager."""
    if by is None:
        return
    if not by.has_perm("projects.change_opportunity") or not deal_rights(by, opportunity).take:
        raise PermissionDenied(CANNOT_TAKE)


def _lock(opportunity: Opportunity | int, by) -> Opportunity:
    """The deal, locked for the transaction, and only if ``by`` sees it (else 404)."""
    queryset = Opportunity.objects.select_related("stage", "customer")
    if by is None:  # the system (demo data)
        pk = getattr(opportunity, "pk", opportunity)
        return queryset.select_for_update(of=("self",)).get(pk=pk)
    return lock_object(queryset, user=by, obj=opportunity)


@transaction.atomic
def opportunity_create(
    *,
    by,
    customer: Customer,
    process: Process,
    title: str,
    owner=None,
    department=None,
    stage: Stage | None = None,
    probability: int | None = None,
    at: datetime | None = None,
    contacts: Iterable[Contact] = (),
    **fields,
) -> Opportunity:
    """Open a deal in ``stage`` (default: the process's first open stage),
    owned by ``owner`` or, without one, waiting in the pool of ``department``
    (default: the creator's). Writes the first stage event, from no stage."""
    at = at or timezone.now()
    if stage is None:
        stage = (
            process.stages.filter(kind=Stage.Kind.OPEN, is_active=True).order_by("order").first()
        )
    opportunity = Opportunity(
        customer=customer,
        process=process,
        title=title,
        stage=stage,
        status=stage.kind,
        stage_entered_at=at,
        probability=stage.probability if probability is None else probability,
        **fields,
    )
    _check_stage(opportunity, stage)
    if not stage.is_open:
        raise ValidationError({"stage": _("A deal opens in an open stage.")})
    if owner is not None:
        opportunity.assign_owner(owner)
    else:
        department = department or by.employee.department
        opportunity.department = department
        opportunity.branch_id = department.branch_id
    opportunity.full_clean()
    opportunity._history_user = by
    opportunity.save()
    contacts = list(contacts)
    if any(contact.customer_id != customer.pk for contact in contacts):
        raise ValidationError({"contacts": CONTACT_OF_OTHER_CUSTOMER})
    if contacts:
        opportunity.contacts.set(contacts)
    StageEvent.objects.create(
        opportunity=opportunity, process=process, from_stage=None, to_stage=stage, at=at, by=by
    )
    if customer.lifecycle_stage in (LifecycleStage.TARGET, LifecycleStage.POTENTIAL):
        customer_change_stage(
            customer=customer,
            stage=LifecycleStage.OPPORTUNITY,
            by=by,
            cause=gettext("Deal opened: %(title)s") % {"title": title},
            at=at,
        )
    _announce(opportunity)
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, by, **fields) -> Opportunity:
    """Edit a deal's details. The stage is changed by ``opportunity_move``
    only; the process is fixed once a deal is open."""
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    contacts = fields.pop("contacts", None)
    for name in ("stage", "process", "status", "owner", "department", "branch"):
        fields.pop(name, None)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked._history_user = by
    locked.save()
    if contacts is not None:
        contacts = list(contacts)
        if any(contact.customer_id != locked.customer_id for contact in contacts):
            raise ValidationError({"contacts": CONTACT_OF_OTHER_CUSTOMER})
        locked.contacts.set(contacts)
    _announce(locked)
    return locked


@transaction.atomic
def opportunity_move(
    *,
    opportunity: Opportunity | int,
    to_stage: Stage,
    by,
    at: datetime | None = None,
    loss_reason: LossReason | None = None,
    note: str = "",
    probability: int | None = None,
    data: dict | None = None,
) -> Opportunity:
    """Move a deal into ``to_stage``: forward, backward, skipping stages,
    closing (won / lost / abandoned) or reopening. Writes one ``StageEvent``
    and closes the interval of the previous one. ``by=None`` is the system
    (demo data); a user must see the deal (else 404) and may change deals."""
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    _check_stage(locked, to_stage)
    if to_stage.pk == locked.stage_id:
        return locked
    current = locked.stage
    if not current.is_open and not to_stage.is_open:
        raise ValidationError({"stage": REOPEN_FIRST})
    if to_stage.kind == Stage.Kind.LOST and loss_reason is None:
        raise ValidationError({"loss_reason": LOSS_REASON_REQUIRED})
    if probability is not None and not 0 <= probability <= 100:
        raise ValidationError({"probability": _("A probability is between 0 and 100.")})
    at = at or timezone.now()
    previous = (
        StageEvent.objects.select_for_update()
        .filter(opportunity_id=locked.pk, left_at__isnull=True)
        .order_by("-at", "-id")
        .first()
    )
    if previous is not None:
        if at < previous.at:
            raise ValidationError(MOVE_BEFORE_LAST)
        previous.left_at = at
        previous.next_stage = to_stage
        previous.save(update_fields=["left_at", "next_stage"])
    StageEvent.objects.create(
        opportunity=locked,
        process_id=locked.process_id,
        from_stage=current,
        to_stage=to_stage,
        at=at,
        by=by,
        note=note,
    )
    locked.stage = to_stage
    locked.status = to_stage.kind
    locked.stage_entered_at = at
    locked.probability = to_stage.probability if probability is None else probability
    if to_stage.is_open:
        locked.closed_at = None
        locked.loss_reason = None
        locked.close_note = ""
    else:
        locked.closed_at = at
        locked.loss_reason = loss_reason if to_stage.kind == Stage.Kind.LOST else None
        locked.close_note = note
    locked._history_user = by
    locked._change_reason = note or str(to_stage)
    locked.save()
    if to_stage.kind == Stage.Kind.WON:
        _advance_customer(locked, by=by, at=at)
    if not to_stage.is_open:
        for hook in deal_closed_hooks:
            hook(opportunity=locked, stage=to_stage, by=by, data=data or {})
    _announce(locked)
    return locked


def _advance_customer(opportunity: Opportunity, *, by, at) -> None:
    stage = LifecycleStage(opportunity.customer.lifecycle_stage)
    if stage in _BEFORE_CUSTOMER:
        target = LifecycleStage.CUSTOMER
    elif stage in _AFTER_CUSTOMER:
        target = LifecycleStage.REPEAT
    else:
        return
    customer_change_stage(
        customer=opportunity.customer,
        stage=target,
        by=by,
        cause=gettext("Deal won: %(title)s") % {"title": opportunity.title},
        at=at,
    )


def closing_stage(process: Process | int, kind: str) -> Stage:
    """The process's stage for closing as ``kind`` (won, lost, abandoned)."""
    process_id = process if isinstance(process, int) else process.pk
    return Stage.objects.get(process_id=process_id, kind=kind)


def opportunity_close(
    *,
    opportunity: Opportunity,
    outcome: str,
    by,
    loss_reason: LossReason | None = None,
    note: str = "",
    at: datetime | None = None,
    data: dict | None = None,
) -> Opportunity:
    """Close as won, lost (a loss reason is required) or abandoned; ``data``
    goes to the ``deal_closed_hooks`` (e.g. the winning competitor)."""
    if outcome not in (Stage.Kind.WON, Stage.Kind.LOST, Stage.Kind.ABANDONED):
        raise ValidationError(_("Unknown outcome."))
    return opportunity_move(
        opportunity=opportunity,
        to_stage=closing_stage(opportunity.process_id, outcome),
        by=by,
        loss_reason=loss_reason,
        note=note,
        at=at,
        data=data,
    )


def opportunity_reopen(
    *, opportunity: Opportunity, to_stage: Stage, by, note: str = "", at=None
) -> Opportunity:
    if not to_stage.is_open:
        raise ValidationError({"stage": REOPEN_TO_OPEN_STAGE})
    return opportunity_move(opportunity=opportunity, to_stage=to_stage, by=by, note=note, at=at)


# --- Pool and assignment (OPP-2, OPP-10) -----------------------------------


@transaction.atomic
def opportunity_assign(*, opportunity_ids: Iterable[int], owner, by, reason: str = "") -> int:
    """Give deals from the pool -- or already owned deals the manager sees --
    to ``owner``. Returns how many were assigned; each keeps a history entry."""
    if not by.has_perm("projects.assign_opportunity"):
        raise PermissionDenied(CANNOT_ASSIGN)
    if not employees_in_scope(by).filter(user_id=owner.pk, is_active=True).exists():
        raise ValidationError({"owner": OWNER_OUTSIDE_SCOPE})
    ids = sorted(set(opportunity_ids))
    reachable = (
        Opportunity.objects.visible_to(by)
        .filter(pk__in=ids)
        .values("pk")
        .union(Opportunity.objects.pool_for(by).filter(pk__in=ids).values("pk"))
    )
    locked = list(
        Opportunity.objects.select_for_update()
        .filter(pk__in=reachable, status=Stage.Kind.OPEN)
        .order_by("pk")
    )
    owned_elsewhere = [deal for deal in locked if deal.owner_id and not deal_rights(by, deal).take]
    if owned_elsewhere:  # seen through a team, not held: not the user's to give away
        raise PermissionDenied(CANNOT_TAKE)
    if len(locked) != len(ids):
        raise ValidationError(
            _(
                "Some of the chosen deals are closed or outside your data scope; "
                "nothing was assigned."
            )
        )
    for opportunity in locked:
        opportunity.assign_owner(owner)
        opportunity._history_user = by
        opportunity._change_reason = reason or gettext("Assigned")
        opportunity.save(update_fields=["owner", "department", "branch", "updated_at"])
    for opportunity in locked:
        _announce(opportunity)
    return len(locked)


@transaction.atomic
def opportunity_claim(*, opportunity: Opportunity | int, by) -> Opportunity:
    """A rep takes a deal from the pool. Two reps claiming at once: the
    first wins, the second is told the deal is gone."""
    pk = opportunity if isinstance(opportunity, int) else opportunity.pk
    locked = (
        Opportunity.objects.pool_for(by).select_for_update(skip_locked=False).filter(pk=pk).first()
    )
    if locked is None:
        raise ValidationError(NOT_IN_POOL)
    if not by.has_perm("projects.change_opportunity"):
        raise PermissionDenied(CANNOT_CHANGE)
    locked.assign_owner(by)
    locked._history_user = by
    locked._change_reason = gettext("Claimed from the pool")
    locked.save(update_fields=["owner", "department", "branch", "updated_at"])
    _announce(locked)
    return locked


@transaction.atomic
def opportunity_release(*, opportunity: Opportunity, by, reason: str = "") -> Opportunity:
    """Put a deal back into the pool of its department: its owner or their
    manager only, never a team member."""
    locked = _lock(opportunity, by)
    _check_can_take(locked, by)
    if not locked.is_open:
        raise ValidationError(CLOSED_DEAL)
    locked.owner = None
    locked._history_user = by
    locked._change_reason = reason or gettext("Returned to the pool")
    locked.save(update_fields=["owner", "updated_at"])
    _announce(locked)
    return locked


# --- Team, partners, work (OPP-6, OPP-7) -----------------------------------


@transaction.atomic
def member_add(*, opportunity: Opportunity, user, role: str, by) -> OpportunityMember:
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    member, _created = OpportunityMember.objects.update_or_create(
        opportunity=locked, user=user, defaults={"role": role}
    )
    member.full_clean()
    return member


@transaction.atomic
def member_remove(*, opportunity: Opportunity, user, by) -> None:
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    OpportunityMember.objects.filter(opportunity=locked, user=user).delete()


@transaction.atomic
def partner_add(
    *, opportunity: Opportunity, partner: Customer, role: str, by, note: str = ""
) -> OpportunityPartner:
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    if partner.type not in (CustomerType.PARTNER, CustomerType.DISTRIBUTOR):
        raise ValidationError({"partner": PARTNER_NOT_PARTNER})
    link, _created = OpportunityPartner.objects.update_or_create(
        opportunity=locked, partner=partner, defaults={"role": role, "note": note}
    )
    return link


@transaction.atomic
def partner_remove(*, opportunity: Opportunity, partner: Customer | int, by) -> None:
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    partner_id = partner if isinstance(partner, int) else partner.pk
    OpportunityPartner.objects.filter(opportunity=locked, partner_id=partner_id).delete()


@transaction.atomic
def product_line_save(
    *, opportunity: Opportunity, product: Product, quantity, by, unit_price=None
) -> OpportunityProduct:
    """Add a product to the deal, or change its quantity and unit price if
    it is there already (one line per product). The unit price defaults to
    the list price."""
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    line = OpportunityProduct.objects.filter(opportunity=locked, product=product).first()
    if line is None:
        if not product.is_active:
            raise ValidationError({"product": PRODUCT_INACTIVE})
        line = OpportunityProduct(opportunity=locked, product=product)
    line.quantity = quantity
    line.unit_price = product.list_price if unit_price is None else unit_price
    line.full_clean()
    line.save()
    return line


@transaction.atomic
def product_line_remove(*, opportunity: Opportunity, product: Product | int, by) -> None:
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    product_id = product if isinstance(product, int) else product.pk
    OpportunityProduct.objects.filter(opportunity=locked, product_id=product_id).delete()


@transaction.atomic
def deal_follow_up_create(*, opportunity: Opportunity, by, contacts=(), **fields):
    """Log a follow-up on the deal (a work record): a customer follow-up
    linked to the deal."""
    locked = _lock(opportunity, by)
    follow_up = follow_up_create(by=by, customer=locked.customer, contacts=contacts, **fields)
    locked.follow_ups.add(follow_up)
    return follow_up


@transaction.atomic
def todo_create(*, opportunity: Opportunity, by, title: str, due_date, assignee=None) -> Todo:
    locked = _lock(opportunity, by)
    todo = Todo(
        opportunity=locked,
        title=title,
        due_date=due_date,
        assignee=assignee or by,
        created_by=by,
    )
    todo.full_clean()
    todo.save()
    return todo


@transaction.atomic
def todo_complete(*, todo: Todo, by) -> Todo:
    locked = Todo.objects.select_for_update().get(pk=todo.pk)
    _lock(locked.opportunity_id, by)
    if locked.done_at is None:
        locked.done_at = timezone.now()
        locked.save(update_fields=["done_at", "updated_at"])
    return locked


@transaction.atomic
def comment_add(*, opportunity: Opportunity, by, body: str) -> Comment:
    locked = _lock(opportunity, by)
    comment = Comment(opportunity=locked, author=by, body=body.strip())
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def plan_item_save(*, opportunity: Opportunity, by, item: StagePlan | None = None, **fields):
    """Add or edit a step of the stage plan (OPP-5)."""
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    item = item or StagePlan(opportunity=locked)
    if item.opportunity_id != locked.pk:
        raise ValidationError(_("This step belongs to another deal."))
    for name, value in fields.items():
        setattr(item, name, value)
    if item.stage_id is not None:
        _check_stage(locked, item.stage)
    item.full_clean()
    item.save()
    return item


# --- Qualification (OPP-3) -------------------------------------------------


def grade_for(process_id: int, score: int) -> str:
    threshold = (
        GradeThreshold.objects.filter(process_id=process_id, min_score__lte=score)
        .order_by("-min_score")
        .first()
    )
    return threshold.grade if threshold else ""


@transaction.atomic
def evaluation_submit(*, opportunity: Opportunity, by, answers: Mapping[int, int]) -> Evaluation:
    """Score the deal with the process's questionnaire. ``answers`` maps
    question ids to option ids; every active question must be answered.
    Earlier evaluations are kept."""
    locked = _lock(opportunity, by)
    _check_can_change(locked, by)
    questions = list(
        Question.objects.filter(process_id=locked.process_id, is_active=True).prefetch_related(
            "options"
        )
    )
    if not questions:
        raise ValidationError(NO_QUESTIONS)
    chosen = []
    for question in questions:
        option = next((o for o in question.options.all() if o.pk == answers.get(question.pk)), None)
        if option is None:
            raise ValidationError({f"q{question.pk}": ANSWER_EVERY_QUESTION})
        chosen.append((question, option))
    score = sum(option.points for _question, option in chosen)
    grade = grade_for(locked.process_id, score)
    evaluation = Evaluation.objects.create(opportunity=locked, by=by, score=score, grade=grade)
    EvaluationAnswer.objects.bulk_create(
        EvaluationAnswer(
            evaluation=evaluation,
            question=question,
            option=option,
            question_text=question.text,
            option_text=option.text,
            points=option.points,
        )
        for question, option in chosen
    )
    locked.score = max(score, 0)
    locked.grade = grade
    locked._history_user = by
    locked._change_reason = gettext("Qualification")
    locked.save(update_fields=["score", "grade", "updated_at"])
    return evaluation


# --- Stage configuration ---------------------------------------------------


@transaction.atomic
def stage_set_probability(*, stage: Stage, probability: int, by) -> Stage:
    """Set a stage's default win probability (e.g. to the funnel's success
    rate). Only people who may change stages (admins)."""
    if not by.has_perm("projects.change_stage"):
        raise PermissionDenied(_("You are not allowed to change stages."))
    if not 0 <= probability <= 100:
        raise ValidationError({"probability": _("A probability is between 0 and 100.")})
    locked = Stage.objects.select_for_update().get(pk=stage.pk)
    locked.probability = probability
    locked.save(update_fields=["probability"])
    return locked


def _announce(opportunity: Opportunity) -> None:
    """Tell listeners (analytics snapshots) once the transaction commits."""
    transaction.on_commit(
        lambda: stages_changed.send(sender=Opportunity, opportunity_id=opportunity.pk)
    )
