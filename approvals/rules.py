"""The approval chain of a document (WF-1): which rules apply, who decides
each step. Admins edit the rules; code never names an approver."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from approvals.models import ApprovalRule
from crm.models import Role

NO_APPROVER = _("Nobody can approve the step “%(step)s” in this branch; ask an administrator.")

#: Roles that approve for every branch; other roles approve in their own branch.
COMPANY_WIDE_ROLES = {Role.Code.HQ_EXECUTIVE, Role.Code.ADMIN}


@dataclass(frozen=True)
class ChainStep:
    level: int
    rule_id: int
    rule_name: str
    role_code: str | None
    user_id: int | None

    def as_json(self) -> dict:
        return {
            "level": self.level,
            "rule": self.rule_id,
            "name": self.rule_name,
            "role": self.role_code,
            "user": self.user_id,
        }


def approval_chain(
    *,
    document_type: str,
    amount: Decimal,
    discount: Decimal = Decimal("0"),
    margin: Decimal | None = None,
    customer_type: str = "",
    branch_id: int | None = None,
) -> list[ChainStep]:
    """The steps the active rules require, in level order, each approver
    once (at its first level). Empty: approved automatically. A margin rule
    applies when ``margin`` (%) is below its threshold; a document without a
    margin (no revenue) meets no margin rule."""
    rules = (
        ApprovalRule.objects.filter(document_type=document_type, is_active=True)
        .filter(Q(discount_above__isnull=True) | Q(discount_above__lt=discount))
        .filter(Q(amount_above__isnull=True) | Q(amount_above__lt=amount))
        .filter(
            Q(margin_below__isnull=True)
            | (Q(margin_below__gt=margin) if margin is not None else Q(pk__in=[]))
        )
        .filter(Q(customer_type="") | Q(customer_type=customer_type))
        .filter(Q(branch__isnull=True) | Q(branch_id=branch_id))
        .select_related("approver_role")
        .order_by("level", "id")
    )
    steps, seen = [], set()
    for rule in rules:
        approver = (rule.approver_role_id, rule.approver_user_id)
        if approver in seen:
            continue
        seen.add(approver)
        steps.append(
            ChainStep(
                level=rule.level,
                rule_id=rule.pk,
                rule_name=rule.name,
                role_code=rule.approver_role.code if rule.approver_role else None,
                user_id=rule.approver_user_id,
            )
        )
    return steps


def step_approvers(step: ChainStep | Mapping, *, branch_id: int, submitter_id: int | None):
    """Active users who may decide ``step`` of a document of ``branch_id``;
    never the submitter, even holding the role."""
    User = get_user_model()
    if isinstance(step, Mapping):
        role_code, user_id = step.get("role"), step.get("user")
    else:
        role_code, user_id = step.role_code, step.user_id
    users = User.objects.filter(is_active=True, employee__is_active=True)
    if user_id is not None:
        users = users.filter(pk=user_id)
    else:
        users = users.filter(groups__role__code=role_code)
        if role_code not in COMPANY_WIDE_ROLES:
            users = users.filter(employee__department__branch_id=branch_id)
    if submitter_id is not None:
        users = users.exclude(pk=submitter_id)
    return users.distinct()


def chain_with_approvers(
    chain: list[ChainStep | Mapping], *, branch_id: int, submitter_id: int
) -> list[dict]:
    """The chain as stored on a submitted document: each step with the ids of
    the people who may decide it. A step nobody in the branch can decide
    refuses the whole submission (``ValidationError``), nothing is written."""
    steps = []
    for step in chain:
        stored = step.as_json() if isinstance(step, ChainStep) else dict(step)
        approvers = list(
            step_approvers(step, branch_id=branch_id, submitter_id=submitter_id).values_list(
                "pk", flat=True
            )
        )
        if not approvers:
            raise ValidationError(NO_APPROVER % {"step": stored.get("name", "")})
        steps.append({**stored, "approvers": approvers})
    return steps
