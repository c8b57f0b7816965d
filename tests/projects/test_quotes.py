"""Quotes: server-side totals, drafts only editable, versions; approval chains."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from approvals.models import ApprovalRule, DocumentType
from approvals.rules import (
    approval_chain,
    step_approvers,
)
from crm.models import Role
from projects.catalogue.demo import seed_products
from projects.models import (
    Product,
    Quote,
    QuoteStatus,
)
from projects.quotes.services import (
    quote_chain,
    quote_create,
    quote_revise,
    quote_update,
)
from tests.factories import make_opportunity, make_quote

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def products(processes):
    seed_products()
    return {p.code: p for p in Product.objects.all()}


@pytest.fixture
def rules(org):
    role = {r.code: r for r in Role.objects.all()}
    return [
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name="discount > 10 %",
            level=1,
            discount_above=D("10"),
            approver_role=role["sales_manager"],
        ),
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name="discount > 20 %",
            level=2,
            discount_above=D("20"),
            approver_role=role["branch_manager"],
        ),
        ApprovalRule.objects.create(
            document_type=DocumentType.QUOTE,
            name="amount > 1,000,000",
            level=2,
            amount_above=D("1000000"),
            approver_role=role["branch_manager"],
        ),
    ]


def valid_until():
    return timezone.localdate() + timedelta(days=30)


def test_totals_are_computed_and_rounded_half_up(org, products):
    deal = make_opportunity(org.rep)
    product = products["P-TRN-01"]  # 2000.00, 13 % tax
    odd = Product.objects.create(code="X-1", name="零件", list_price=D("0.15"), tax_rate=D("13"))
    quote = quote_create(
        opportunity=deal,
        by=org.rep,
        valid_until=valid_until(),
        lines=[
            {"product": product, "quantity": D("3"), "discount": D("12.5")},
            # 0.15 × 0.9 = 0.135 → 0.14 (half-up, not banker's 0.14/0.13)
            {"product": odd, "quantity": D("1"), "discount": D("10")},
        ],
    )
    first, second = quote.lines.order_by("position")
    assert (first.net_price, first.amount) == (D("1750.00"), D("5250.00"))
    assert (second.net_price, second.amount) == (D("0.14"), D("0.14"))
    assert quote.subtotal == D("5250.14")
    assert quote.list_total == D("6000.15")
    assert quote.tax == D("682.50") + D("0.02")  # tax rounded per line
    assert quote.total == quote.subtotal + quote.tax
    assert quote.max_discount == D("12.5")
    assert quote.number.startswith("QT") and quote.version == 1
    assert (quote.owner, quote.branch) == (org.rep, org.east)


@pytest.mark.parametrize(
    "line",
    [
        {"quantity": D("-1")},
        {"quantity": D("0")},
        {"quantity": D("1"), "discount": D("100.01")},
        {"quantity": D("1"), "discount": D("-1")},
        {"quantity": D("1"), "list_price": D("-5")},
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(org, products, line):
    deal = make_opportunity(org.rep)
    with pytest.raises(ValidationError):
        quote_create(
            opportunity=deal,
            by=org.rep,
            valid_until=valid_until(),
            lines=[{"product": products["P-BI-01"], **line}],
        )
    assert not Quote.objects.exists()


def test_only_drafts_change_and_approved_quotes_are_revised(org, products):
    quote = make_quote(org.rep, quantity=2)
    quote = quote_update(
        quote=quote,
        by=org.rep,
        lines=[{"product": products["P-BI-01"], "quantity": 1, "discount": 5}],
    )
    assert quote.lines.count() == 1 and quote.subtotal == D("152000.00")

    Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.APPROVED)
    quote.refresh_from_db()
    with pytest.raises(ValidationError):
        quote_update(quote=quote, by=org.rep, terms="changed")

    revision = quote_revise(quote=quote, by=org.rep)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SUPERSEDED
    assert (revision.number, revision.version, revision.previous) == (quote.number, 2, quote)
    assert revision.status == QuoteStatus.DRAFT
    assert revision.subtotal == quote.subtotal
    assert list(revision.lines.values_list("amount", flat=True)) == [D("152000.00")]
    with pytest.raises(ValidationError):
        quote_revise(quote=quote, by=org.rep)  # only the latest version
    with pytest.raises(ValidationError):
        quote_revise(quote=revision, by=org.rep)  # a draft is edited, not revised


def test_outsiders_cannot_quote_or_touch_a_deal(org, products):
    deal = make_opportunity(org.rep)
    with pytest.raises(Http404):
        make_quote(org.rep2, opportunity=deal)
    quote = make_quote(org.rep, opportunity=deal)
    with pytest.raises(Http404):
        quote_update(quote=quote, by=org.rep_b, terms="x")
    assert Quote.objects.visible_to(org.manager).filter(pk=quote.pk).exists()
    assert not Quote.objects.visible_to(org.rep_b).filter(pk=quote.pk).exists()


def test_chains_follow_the_rules(org, rules, products):
    def chain(amount, discount):
        steps = approval_chain(
            document_type=DocumentType.QUOTE,
            amount=D(amount),
            discount=D(discount),
            branch_id=org.east.pk,
        )
        return [(s.level, s.role_code) for s in steps]

    assert chain("50000", "5") == []
    assert chain("50000", "15") == [(1, "sales_manager")]
    assert chain("50000", "25") == [(1, "sales_manager"), (2, "branch_manager")]
    assert chain("2000000", "0") == [(2, "branch_manager")]
    assert chain("2000000", "25") == [(1, "sales_manager"), (2, "branch_manager")]
    ApprovalRule.objects.filter(level=1).update(is_active=False)
    assert chain("50000", "15") == []


def test_approvers_are_in_the_branch_and_never_the_submitter(org, rules, products):
    quote = make_quote(org.manager, discount=15)
    (step,) = quote_chain(quote)
    approvers = step_approvers(step, branch_id=quote.branch_id, submitter_id=org.manager.pk)
    assert org.manager not in approvers  # the submitter, even holding the role
    rep_quote = make_quote(org.rep, discount=15)
    approvers = step_approvers(
        quote_chain(rep_quote)[0], branch_id=rep_quote.branch_id, submitter_id=org.rep.pk
    )
    assert list(approvers) == [org.manager]
