"""Shared set-up of the quote approval tests: the demo's rules."""

from decimal import Decimal

from approvals.models import ApprovalRule, DocumentType
from crm.models import Role


def make_quote_rules() -> list[ApprovalRule]:
    """discount > 10 % → sales manager; > 20 % or amount > 1,000,000 →
    branch manager."""
    role = {r.code: r for r in Role.objects.all()}
    return [
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name="discount > 10 %",
            level=1,
            discount_above=Decimal("10"),
            approver_role=role["sales_manager"],
        ),
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name="discount > 20 %",
            level=2,
            discount_above=Decimal("20"),
            approver_role=role["branch_manager"],
        ),
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name="amount > 1,000,000",
            level=2,
            amount_above=Decimal("1000000"),
            approver_role=role["branch_manager"],
        ),
    ]


def at_once(actions) -> dict[str, str]:
    """Run ``actions`` (username → callable) in threads released together,
    each on its own database connection; what each got: "done" or the
    message of the ``ApprovalConflict`` it was refused with."""
    import threading

    from django.db import connection

    from approvals.services import ApprovalConflict

    barrier = threading.Barrier(len(actions))
    outcomes: dict[str, str] = {}

    def run(name, action):
        try:
            barrier.wait(timeout=10)
            action()
            outcomes[name] = "done"
        except ApprovalConflict as exc:
            outcomes[name] = exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
