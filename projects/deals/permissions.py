"""Seeing a deal is not acting on it (OPP-6).

Team members see a deal whatever their data scope; what they may do on it
depends on their role in the team. The owner and whoever holds the deal in
their own data scope (the owner's managers, HQ) may do everything; a
co-seller or a management sponsor may work the deal (stage, team,
partners, products, plan, qualification, details); every member takes part
in its work records, to-dos and discussion. Only the owner and their
managers decide who owns it: release it to the pool or reassign it.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm.scope import in_own_scope
from projects.models import Opportunity, OpportunityMember

#: Team roles that may work the deal, not only take part in its discussion.
ACTING_TEAM_ROLES = frozenset({OpportunityMember.Role.SALES, OpportunityMember.Role.MANAGEMENT})
_UNKNOWN = object()


@dataclass(frozen=True)
class DealRights:
    act: bool  # change the deal and its team, partners, products, plan
    take: bool  # release it to the pool or give it to someone else


ALL_RIGHTS = DealRights(act=True, take=True)
NO_RIGHTS = DealRights(act=False, take=False)


def deal_rights(user, deal: Opportunity, *, member_role=_UNKNOWN) -> DealRights:
    """What ``user`` may do on ``deal`` beyond seeing it. ``member_role``
    (the user's team role, or ``None``) saves the query when the caller
    read the team already."""
    if user is None:  # the system itself (demo data, tasks)
        return ALL_RIGHTS
    if in_own_scope(user, deal):
        return ALL_RIGHTS
    if member_role is _UNKNOWN:
        member_role = (
            OpportunityMember.objects.filter(opportunity_id=deal.pk, user_id=user.pk)
            .values_list("role", flat=True)
            .first()
        )
    return DealRights(act=member_role in ACTING_TEAM_ROLES, take=False)
