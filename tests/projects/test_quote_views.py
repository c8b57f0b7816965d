"""Quote pages and the approval inbox through the client: scoped (404
outside the scope), totals from the server, approve / reject / wrong role /
self-approval / withdraw, and pinned query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.services import NOT_YOUR_TASK
from crm.models import Notification
from projects.models import Product, Quote, QuoteDecision, QuoteStatus
from projects.quotes.flows import QuoteApprovalFlow
from projects.quotes.services import (
    OWN_DOCUMENT,
    REASON_REQUIRED,
    quote_submit,
)
from tests.factories import make_employee, make_opportunity, make_quote
from tests.projects.approval_helpers import make_quote_rules

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def rules(org):
    return make_quote_rules()


def login(client, user):
    client.force_login(user)
    return client


def step_of(quote):
    return Task.objects.get(
        process__artifact_object_id=quote.pk,
        process__flow_class=QuoteApprovalFlow,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def step_url(task, name="execute"):
    return f"/quotes/quoteapproval/{task.process_id}/approve/{task.pk}/" + (
        "execute/" if name == "execute" else ""
    )


def line_data(lines, *, extra=0):
    data = {
        "lines-TOTAL_FORMS": str(len(lines) + extra),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
    }
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = str(value)
    return data


def test_rep_creates_a_quote_for_a_deal_with_totals_from_the_server(client, org):
    deal = make_opportunity(org.rep)
    make_quote(org.rep, opportunity=deal)  # installs the products
    product = Product.objects.get(code="P-TRN-01")  # 2000.00, 13 % tax
    login(client, org.rep)
    assert client.get(f"/quotes/quote/add/?opportunity={deal.pk}").status_code == 200

    response = client.post(
        "/quotes/quote/add/",
        {
            "opportunity": deal.pk,
            "valid_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "terms": "30 days",
            "total": "1.00",  # ignored: totals are computed
            **line_data(
                [{"product": product.pk, "quantity": "3", "discount": "12.5", "list_price": ""}],
                extra=2,
            ),
        },
    )

    quote = deal.quotes.get(terms="30 days")
    assert response.status_code == 302 and response["Location"] == quote.get_absolute_url()
    assert (quote.subtotal, quote.tax, quote.total) == (D("5250.00"), D("682.50"), D("5932.50"))
    page = client.get(quote.get_absolute_url())
    assert page.status_code == 200
    assert "5,932.50" in page.content.decode() and "P-TRN-01" in page.content.decode()


def test_bad_lines_are_refused_with_a_message_and_nothing_is_written(client, org):
    deal = make_opportunity(org.rep)
    make_quote(org.rep, opportunity=deal)
    product = Product.objects.get(code="P-TRN-01")
    login(client, org.rep)
    before = Quote.objects.count()

    response = client.post(
        "/quotes/quote/add/",
        {
            "opportunity": deal.pk,
            "valid_until": timezone.localdate().isoformat(),
            **line_data([{"product": product.pk, "quantity": "-1", "discount": "120"}]),
        },
    )

    assert response.status_code == 200
    assert Quote.objects.count() == before
    assert "greater than or equal to 0.01" in response.content.decode()


def test_rep_edits_a_draft_and_approved_quotes_cannot_be_edited(client, org):
    quote = make_quote(org.rep, quantity=2)
    product = quote.lines.get().product
    login(client, org.rep)
    assert client.get(f"/quotes/quote/{quote.pk}/change/").status_code == 200

    response = client.post(
        f"/quotes/quote/{quote.pk}/change/",
        {
            "valid_until": quote.valid_until.isoformat(),
            "terms": "new terms",
            **line_data([{"product": product.pk, "quantity": "1", "discount": "0"}]),
        },
    )

    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.terms == "new terms" and quote.subtotal == product.list_price
    Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.APPROVED)
    response = client.post(
        f"/quotes/quote/{quote.pk}/change/",
        {
            "valid_until": quote.valid_until.isoformat(),
            "terms": "sneaky",
            **line_data([{"product": product.pk, "quantity": "9"}]),
        },
    )
    quote.refresh_from_db()
    assert quote.terms == "new terms" and quote.lines.get().quantity == 1
    assert "Only a draft quote can be changed" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["detail/", "print/", "change/"],
)
def test_outsiders_get_404_on_quote_pages(client, org, path):
    quote = make_quote(org.rep)
    for outsider in (org.rep2, org.rep_b):
        login(client, outsider)
        assert client.get(f"/quotes/quote/{quote.pk}/{path}").status_code == 404
    login(client, org.manager)
    expected = 200
    assert client.get(f"/quotes/quote/{quote.pk}/{path}").status_code == expected


def test_outsiders_cannot_submit_withdraw_revise_or_create_on_others_deals(client, org, rules):
    quote = make_quote(org.rep, discount=15)
    login(client, org.rep2)
    for action in ("submit", "withdraw", "revise"):
        assert client.post(f"/quotes/quote/{quote.pk}/{action}/").status_code == 404
    assert client.get(f"/quotes/quote/add/?opportunity={quote.opportunity_id}").status_code == 404
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT and not quote.decisions.exists()


def test_quote_list_shows_only_the_scope(client, org):
    mine = make_quote(org.rep)
    other = make_quote(org.rep2)
    login(client, org.rep)
    body = client.get("/quotes/quote/").content.decode()
    assert mine.number in body and other.number not in body


def test_print_view_is_clean_html_without_scripts(client, org):
    quote = make_quote(org.rep)
    login(client, org.rep)
    body = client.get(f"/quotes/quote/{quote.pk}/print/").content.decode()
    assert "<script" not in body and "@media print" in body
    assert quote.number in body and f"{quote.total:,.2f}" in body


def test_manager_approves_in_the_inbox(client, org, rules):
    quote = make_quote(org.rep, discount=15)
    login(client, org.rep)
    response = client.post(f"/quotes/quote/{quote.pk}/submit/", follow=True)
    assert "submitted for approval" in response.content.decode()
    detail = response.content.decode()
    assert "Level 1: discount &gt; 10 %" in detail and "manager" in detail  # chain shown
    step = step_of(quote)

    login(client, org.manager)
    inbox = client.get("/quotes/inbox/").content.decode()
    assert quote.number in inbox and step_url(step, "index") in inbox
    assert client.get(step_url(step, "index")).status_code == 302
    assert client.get(step_url(step)).status_code == 200
    assert client.get(f"/quotes/quoteapproval/{step.process_id}/").status_code == 200
    response = client.post(step_url(step), {"decision": "approve", "comment": "fine"})

    assert response.status_code == 302 and response["Location"] == "/quotes/inbox/"
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED
    decision = quote.decisions.get(kind=QuoteDecision.Kind.APPROVED)
    assert (decision.by, decision.level, decision.comment) == (org.manager, 1, "fine")
    assert 'data-testid="task-link"' not in client.get("/quotes/inbox/").content.decode()
    assert quote.number in client.get("/quotes/archive/").content.decode()
    history = client.get(quote.get_absolute_url()).content.decode()
    assert "fine" in history and "Approved" in history


def test_reject_needs_a_reason_and_returns_the_quote_to_draft(client, org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = step_of(quote)
    login(client, org.manager)

    response = client.post(step_url(step), {"decision": "reject", "comment": ""})
    assert response.status_code == 200 and str(REASON_REQUIRED) in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SUBMITTED

    client.post(step_url(step), {"decision": "reject", "comment": "Discount too deep"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    login(client, org.rep)
    page = client.get(quote.get_absolute_url()).content.decode()
    assert "Discount too deep" in page and "Submit for approval" in page


def test_wrong_role_is_refused_with_a_message_and_nothing_changes(client, org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = step_of(quote)

    login(client, org.branch_mgr)  # sees the quote (branch scope) but is not the approver
    page = client.get(step_url(step))
    assert page.status_code == 200 and str(NOT_YOUR_TASK) in page.content.decode()
    response = client.post(step_url(step), {"decision": "approve", "comment": ""})
    assert response.status_code == 403 and str(NOT_YOUR_TASK) in response.content.decode()

    login(client, org.rep2)  # another branch: the step does not exist for them
    assert client.get(step_url(step)).status_code == 404
    assert client.post(step_url(step), {"decision": "approve"}).status_code == 404
    assert client.get(f"/quotes/quoteapproval/{step.process_id}/").status_code == 404

    step.refresh_from_db()
    quote.refresh_from_db()
    assert (step.status, step.owner) == (STATUS.ASSIGNED, org.manager)
    assert quote.status == QuoteStatus.SUBMITTED and quote.decisions.count() == 1


def test_submitter_cannot_approve_their_own_quote(client, org, rules):
    manager2 = make_employee(org.team1, "sales_manager", username="manager2").user
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = step_of(quote)
    # the step is open to both managers; make the submitter look like one too
    Task.objects.filter(pk=step.pk).update(
        data={**step.data, "approvers": [org.manager.pk, manager2.pk, org.rep.pk]}
    )
    login(client, org.rep)

    assert str(OWN_DOCUMENT) in client.get(step_url(step)).content.decode()
    response = client.post(step_url(step), {"decision": "approve", "comment": ""})

    assert response.status_code == 403 and str(OWN_DOCUMENT) in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SUBMITTED and quote.decisions.count() == 1


def test_second_approver_is_told_who_decided(client, org, rules):
    manager2 = make_employee(org.team1, "sales_manager", username="manager2").user
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = step_of(quote)
    login(client, org.manager)
    client.post(step_url(step), {"decision": "approve", "comment": ""})

    login(client, manager2)
    response = client.post(step_url(step), {"decision": "reject", "comment": "no"})

    assert response.status_code == 409
    assert "already decided by manager (Approved)" in response.content.decode()
    assert QuoteDecision.objects.filter(task=step).count() == 1


def test_rep_withdraws_before_the_first_decision(client, org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    login(client, org.rep)
    assert "Withdraw" in client.get(quote.get_absolute_url()).content.decode()

    client.post(f"/quotes/quote/{quote.pk}/withdraw/")

    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    login(client, org.manager)
    assert 'data-testid="task-link"' not in client.get("/quotes/inbox/").content.decode()
    assert (
        client.post(step_url(step_of_withdrawn(quote)), {"decision": "approve"}).status_code == 409
    )


def step_of_withdrawn(quote):
    return Task.objects.get(process__artifact_object_id=quote.pk, flow_task_type="HUMAN")


def test_notification_list_badge_and_mark_read(client, org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    login(client, org.manager)
    badge = client.get(reverse("notification_badge")).content.decode()
    assert 'crm-notification-badge__count">1<' in badge
    page = client.get(reverse("notifications")).content.decode()
    assert f"Quote {quote} waits for your approval" in page
    # Another user sees none of the manager's notifications.
    login(client, org.rep_b)
    assert f"Quote {quote}" not in client.get(reverse("notifications")).content.decode()
    assert "badge__count" not in client.get(reverse("notification_badge")).content.decode()

    login(client, org.manager)
    client.post(reverse("notifications"))
    assert not Notification.objects.filter(recipient=org.manager, read_at=None).exists()
    assert "badge__count" not in client.get(reverse("notification_badge")).content.decode()


def test_quote_detail_query_count_is_pinned(client, org, rules, django_assert_num_queries):
    quote = quote_submit(quote=make_quote(org.rep, discount=25, quantity=3), by=org.rep)
    login(client, org.manager)
    client.get(quote.get_absolute_url())  # warm the content-type cache

    with django_assert_num_queries(QUOTE_DETAIL_QUERIES):
        response = client.get(quote.get_absolute_url())
    assert response.status_code == 200

    # more lines, versions and decisions: the same number of queries
    products = list(Product.objects.order_by("code")[:4])
    bigger = make_quote(org.rep, discount=25)
    from approvals.services import (
        Decision,
        approval_decide,
    )
    from projects.quotes.services import (
        quote_revise,
        quote_update,
    )

    bigger = quote_update(
        quote=bigger,
        by=org.rep,
        lines=[{"product": p, "quantity": 2, "discount": 25} for p in products],
    )
    bigger = quote_submit(quote=bigger, by=org.rep)
    approval_decide(
        task_id=step_of(bigger).pk, by=org.manager, decision=Decision.APPROVE, comment="ok"
    )
    approval_decide(task_id=step_of(bigger).pk, by=org.branch_mgr, decision=Decision.APPROVE)
    revision = quote_revise(quote=bigger, by=org.rep)
    with django_assert_num_queries(QUOTE_DETAIL_QUERIES - 1):  # no open step
        response = client.get(bigger.get_absolute_url())
    assert response.content.decode().count("<tr>") >= 4 + 5
    with django_assert_num_queries(QUOTE_DETAIL_QUERIES - 2):  # nor a chain yet
        client.get(revision.get_absolute_url())


def test_quote_pages_render_in_chinese(client, org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    login(client, org.manager)
    for url in (quote.get_absolute_url(), "/quotes/inbox/", step_url(step_of(quote))):
        response = client.get(url, headers={"accept-language": "zh-hans"})
        assert response.status_code == 200 and 'lang="zh-hans"' in response.content.decode()


def test_inbox_query_count_is_pinned_and_does_not_grow(
    client, org, rules, django_assert_num_queries
):
    deal = make_opportunity(org.rep)
    quote_submit(quote=make_quote(org.rep, opportunity=deal, discount=15), by=org.rep)
    login(client, org.manager)
    client.get("/quotes/inbox/")
    with django_assert_num_queries(INBOX_QUERIES):
        client.get("/quotes/inbox/")

    for _ in range(3):
        quote_submit(quote=make_quote(org.rep, opportunity=deal, discount=15), by=org.rep)
    with django_assert_num_queries(INBOX_QUERIES):
        body = client.get("/quotes/inbox/").content.decode()
    assert body.count('data-testid="task-link"') == 4


QUOTE_DETAIL_QUERIES = 11
INBOX_QUERIES = 5


def test_customer_panel_lists_the_customers_quotes_within_scope(client, org):
    from customers.panels import customer_panels
    from projects.quotes import panels as panels_quotes

    panels_quotes.register()
    assert "quotes" in [panel.key for panel in customer_panels]
    quote = make_quote(org.rep)
    url = f"/quotes/quote/customer/{quote.customer_id}/"
    login(client, org.rep)
    body = client.get(url).content.decode()
    assert quote.number in body and 'data-testid="customer-quotes"' in body
    login(client, org.rep2)
    assert client.get(url).status_code == 404


def test_approved_quote_is_marked_sent_and_then_revised(client, org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=5), by=org.rep)
    login(client, org.rep)
    client.post(f"/quotes/quote/{quote.pk}/sent/")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.sent_at is not None

    response = client.post(f"/quotes/quote/{quote.pk}/revise/")

    revision = Quote.objects.get(number=quote.number, version=2)
    assert response["Location"] == revision.get_absolute_url()
    page = client.get(revision.get_absolute_url()).content.decode()
    assert f'href="{quote.get_absolute_url()}"' in page  # the earlier version is listed


def test_the_quote_page_and_its_print_view_show_money_with_the_currency(client, org):
    """Amounts read ¥200,000.00 / CNY 200,000.00, never 200000.00 (issue 10)."""
    quote = make_quote(org.rep, quantity=2)
    login(client, org.rep)
    total = f"{quote.total:,.2f}"
    page = client.get(quote.get_absolute_url()).content.decode()
    assert f"CNY {total}" in page and f">{quote.total}<" not in page
    chinese = client.get(quote.get_absolute_url(), headers={"accept-language": "zh-hans"})
    assert f"¥{total}" in chinese.content.decode()
    printed = client.get(reverse("quotes:quote:print", args=[quote.pk])).content.decode()
    assert f"CNY {total}" in printed and f"CNY {quote.subtotal:,.2f}" in printed


def test_the_approval_notification_shows_the_total_as_money(org, rules):
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    note = Notification.objects.get(recipient=org.manager)
    # Rendered in the recipient's language (Chinese unless they chose English).
    assert f"{quote.total:,.2f}" in note.body and str(quote.total) not in note.body
    assert "¥" in note.body or "CNY " in note.body
