"""Quote approval flow (QUO-3, WF-1): submit, chain, decisions, withdraw,
refusals, concurrent decisions and notifications."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from approvals.rules import NO_APPROVER
from approvals.services import (
    ALREADY_DECIDED,
    NOT_YOUR_TASK,
    ApprovalConflict,
    Decision,
    approval_decide,
)
from crm.models import Notification
from projects.models import QuoteDecision, QuoteStatus
from projects.quotes.flows import QuoteApprovalFlow
from projects.quotes.services import (
    NOT_WITHDRAWABLE,
    OWN_DOCUMENT,
    REASON_REQUIRED,
    quote_processes,
    quote_revise,
    quote_submit,
    quote_update,
    quote_withdraw,
)
from tests.factories import make_employee, make_quote
from tests.projects.approval_helpers import at_once, make_quote_rules

pytestmark = pytest.mark.django_db
K = QuoteDecision.Kind


@pytest.fixture
def rules(org):
    return make_quote_rules()


def open_step(quote):
    return Task.objects.get(
        process__artifact_object_id=quote.pk,
        process__flow_class=QuoteApprovalFlow,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def kinds(quote):
    return list(quote.decisions.order_by("at", "id").values_list("kind", "by__username"))


def test_no_rule_applies_quote_is_approved_automatically_and_recorded(org, rules):
    quote = make_quote(org.rep, discount=5)

    quote = quote_submit(quote=quote, by=org.rep)

    assert quote.status == QuoteStatus.APPROVED and quote.approved_at is not None
    assert quote.approval_chain == []
    assert kinds(quote) == [(K.SUBMITTED, "rep"), (K.AUTO_APPROVED, None)]
    assert not quote_processes(quote).exists()
    with pytest.raises(ValidationError):
        quote_update(quote=quote, by=org.rep, terms="changed")  # approved → locked


def test_submit_stores_the_chain_and_assigns_the_first_step(org, rules):
    quote = make_quote(org.rep, discount=15)

    quote = quote_submit(quote=quote, by=org.rep)

    assert quote.status == QuoteStatus.SUBMITTED and quote.submitted_by == org.rep
    assert [(s["level"], s["role"], s["approvers"]) for s in quote.approval_chain] == [
        (1, "sales_manager", [org.manager.pk])
    ]
    step = open_step(quote)
    assert (step.status, step.owner, step.data["level"]) == (STATUS.ASSIGNED, org.manager, 1)
    assert quote_processes(quote).get().task_set.get(flow_task_type="START").owner == org.rep


def test_approve_through_two_levels_freezes_the_quote(org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=25), by=org.rep)
    assert [s["role"] for s in quote.approval_chain] == ["sales_manager", "branch_manager"]

    approval_decide(
        task_id=open_step(quote).pk, by=org.manager, decision=Decision.APPROVE, comment="ok"
    )
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SUBMITTED
    second = open_step(quote)
    assert (second.owner, second.data["level"]) == (org.branch_mgr, 2)

    approval_decide(task_id=second.pk, by=org.branch_mgr, decision=Decision.APPROVE)
    quote.refresh_from_db()

    assert quote.status == QuoteStatus.APPROVED and quote.approved_at is not None
    assert kinds(quote) == [
        (K.SUBMITTED, "rep"),
        (K.APPROVED, "manager"),
        (K.APPROVED, "branch_mgr"),
    ]
    assert list(quote.decisions.exclude(level=None).values_list("level", "comment")) == [
        (1, "ok"),
        (2, ""),
    ]
    assert quote_processes(quote).get().status == PROCESS.DONE
    with pytest.raises(ValidationError):
        quote_update(quote=quote, by=org.rep, terms="x")
    assert quote_revise(quote=quote, by=org.rep).version == 2


def test_reject_returns_the_quote_to_draft_with_the_reason(org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=25), by=org.rep)

    with pytest.raises(ValidationError) as refused:
        approval_decide(
            task_id=open_step(quote).pk, by=org.manager, decision=Decision.REJECT, comment="  "
        )
    assert REASON_REQUIRED in refused.value.message_dict["comment"]
    assert quote.decisions.count() == 1 and open_step(quote).status == STATUS.ASSIGNED

    approval_decide(
        task_id=open_step(quote).pk, by=org.manager, decision=Decision.REJECT, comment="Too cheap"
    )
    quote.refresh_from_db()

    assert quote.status == QuoteStatus.DRAFT
    rejection = quote.decisions.get(kind=K.REJECTED)
    assert (rejection.by, rejection.level, rejection.comment) == (org.manager, 1, "Too cheap")
    assert quote_processes(quote).get().status == PROCESS.DONE
    assert not Task.objects.filter(
        process__artifact_object_id=quote.pk, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).exists()
    # the draft can be edited and submitted again: a new round
    quote_update(quote=quote, by=org.rep, terms="better terms")
    quote_submit(quote=quote, by=org.rep)
    assert quote_processes(quote).count() == 2


def test_wrong_role_and_other_users_cannot_decide_and_nothing_changes(org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = open_step(quote)

    for outsider in (org.rep_b, org.branch_mgr, org.rep2, org.secretary):
        with pytest.raises(PermissionDenied) as refused:
            approval_decide(task_id=step.pk, by=outsider, decision=Decision.APPROVE)
        assert str(refused.value) == str(NOT_YOUR_TASK)

    step.refresh_from_db()
    quote.refresh_from_db()
    assert (step.status, step.owner) == (STATUS.ASSIGNED, org.manager)
    assert quote.status == QuoteStatus.SUBMITTED
    assert kinds(quote) == [(K.SUBMITTED, "rep")]


def test_submitter_never_approves_their_own_quote_even_holding_the_role(org, rules):
    # the manager quotes for their own deal: the only other sales manager
    # role holder in the branch approves, never the manager
    manager2 = make_employee(org.team2, "sales_manager", username="manager2").user
    quote = quote_submit(quote=make_quote(org.manager, discount=15), by=org.manager)
    step = open_step(quote)
    assert step.data["approvers"] == [manager2.pk] and step.owner == manager2

    # even if the step were open to them, the submitter is refused
    Task.objects.filter(pk=step.pk).update(
        owner=None, status=STATUS.NEW, data={**step.data, "approvers": [org.manager.pk]}
    )
    with pytest.raises(PermissionDenied) as refused:
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)
    assert str(refused.value) == str(OWN_DOCUMENT)
    assert kinds(quote) == [(K.SUBMITTED, "manager")]


def test_no_approver_in_the_branch_refuses_the_submission(org, rules):
    quote = make_quote(org.manager, discount=15)  # the only sales manager submits

    with pytest.raises(ValidationError) as refused:
        quote_submit(quote=quote, by=org.manager)

    assert refused.value.messages == [NO_APPROVER % {"step": "discount > 10 %"}]
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT and not quote.decisions.exists()


def test_withdraw_before_the_first_decision_only(org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=25), by=org.rep)
    with pytest.raises(Http404):
        quote_withdraw(quote=quote, by=org.rep2)  # outside the scope
    with pytest.raises(PermissionDenied):
        quote_withdraw(quote=quote, by=org.manager)  # sees it, did not submit it

    quote = quote_withdraw(quote=quote, by=org.rep)

    assert quote.status == QuoteStatus.DRAFT
    process = quote_processes(quote).get()
    assert process.status == PROCESS.CANCELED
    assert process.task_set.get(flow_task_type="HUMAN").status == STATUS.CANCELED
    assert kinds(quote)[-1] == (K.WITHDRAWN, "rep")

    quote = quote_submit(quote=quote, by=org.rep)
    approval_decide(task_id=open_step(quote).pk, by=org.manager, decision=Decision.APPROVE)
    with pytest.raises(ValidationError) as refused:
        quote_withdraw(quote=quote, by=org.rep)
    assert refused.value.messages == [str(NOT_WITHDRAWABLE)]
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SUBMITTED


def test_deciding_a_withdrawn_or_decided_step_is_refused_with_who_decided(org, rules):
    manager2 = make_employee(org.team1, "sales_manager", username="manager2").user
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = open_step(quote)
    assert step.owner is None and sorted(step.data["approvers"]) == sorted(
        [org.manager.pk, manager2.pk]
    )
    approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)

    with pytest.raises(ApprovalConflict) as refused:
        approval_decide(task_id=step.pk, by=manager2, decision=Decision.REJECT, comment="no")

    assert refused.value.message == ALREADY_DECIDED % {
        "user": "manager",
        "decision": "Approved",
    }
    assert quote.decisions.filter(task=step).count() == 1


def test_each_new_step_notifies_its_approvers_and_the_end_notifies_the_submitter(
    org, rules, mailoutbox, django_capture_on_commit_callbacks
):
    for user in (org.manager, org.branch_mgr, org.rep):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])
    quote = make_quote(org.rep, discount=25)

    with django_capture_on_commit_callbacks(execute=True):
        quote_submit(quote=quote, by=org.rep)

    note = Notification.objects.get(recipient=org.manager)
    step = open_step(quote)
    assert note.title == f"Quote {quote} waits for your approval"
    assert note.url == f"/quotes/quoteapproval/{step.process_id}/approve/{step.pk}/"
    assert [m.to for m in mailoutbox] == [["manager@example.com"]]
    assert mailoutbox[0].subject == note.title
    assert note.url in mailoutbox[0].body and mailoutbox[0].body.count("http") == 1

    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)
    assert Notification.objects.filter(recipient=org.branch_mgr).count() == 1
    assert mailoutbox[-1].to == ["branch_mgr@example.com"]

    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(
            task_id=open_step(quote).pk, by=org.branch_mgr, decision=Decision.REJECT, comment="No"
        )
    outcome = Notification.objects.get(recipient=org.rep)
    assert outcome.title == f"Quote {quote} was rejected"
    assert outcome.body.endswith(": No") and outcome.url == quote.get_absolute_url()
    assert mailoutbox[-1].to == ["rep@example.com"]
    assert len(mailoutbox) == 3


@pytest.mark.django_db(transaction=True)
def test_two_approvers_deciding_at_once_record_exactly_one_decision(org):
    make_quote_rules()
    manager2 = make_employee(org.team1, "sales_manager", username="manager2").user
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = open_step(quote)
    assert step.owner is None  # open to both managers

    outcomes = at_once(
        {
            "manager": lambda: approval_decide(
                task_id=step.pk, by=org.manager, decision=Decision.APPROVE, comment="mine"
            ),
            "manager2": lambda: approval_decide(
                task_id=step.pk, by=manager2, decision=Decision.REJECT, comment="mine"
            ),
        }
    )

    assert sorted(outcomes) == ["manager", "manager2"]
    assert list(outcomes.values()).count("done") == 1
    winner = next(name for name, outcome in outcomes.items() if outcome == "done")
    loser = next(name for name in outcomes if name != winner)
    assert "already decided by" in outcomes[loser] and winner in outcomes[loser]
    decisions = QuoteDecision.objects.filter(task_id=step.pk)
    assert decisions.count() == 1 and decisions.get().by.username == winner
    quote.refresh_from_db()
    step.refresh_from_db()
    assert step.status == STATUS.DONE and step.owner.username == winner
    expected = QuoteStatus.APPROVED if winner == "manager" else QuoteStatus.DRAFT
    assert quote.status == expected


def test_demo_quotes_cover_every_state_and_fill_the_managers_inboxes(org):
    import io

    from approvals.models import ApprovalRule
    from projects.quotes.demo import (
        DEMO_TERMS,
        seed_quotes,
    )
    from projects.quotes.selectors import inbox_tasks
    from tests.factories import make_opportunity

    for owner in (org.rep, org.rep, org.rep_b):
        make_opportunity(owner)
    out = io.StringIO()

    seed_quotes(out)

    quotes = QuoteDecision._meta.get_field("quote").related_model.objects.filter(terms=DEMO_TERMS)
    assert set(quotes.values_list("status", flat=True)) == set(QuoteStatus.values)
    assert ApprovalRule.objects.filter(document_type="quote").count() == 3
    assert inbox_tasks(org.manager).count() == 1
    assert inbox_tasks(org.branch_mgr).count() == 2
    assert quotes.filter(status=QuoteStatus.DRAFT, decisions__kind=K.REJECTED).exists()
    assert quotes.filter(decisions__kind=K.WITHDRAWN).exists()
    assert quotes.filter(decisions__kind=K.AUTO_APPROVED).exists()
    assert quotes.filter(version=2).exists()
    count = quotes.count()

    seed_quotes(out)

    assert quotes.count() == count
    assert "demo quotes exist already" in out.getvalue()
