"""Demo deals: products, deals of the demo users with 18 months of stage
history written through the services, a pool, teams, plans, to-dos and
discussion; and, with ``--opportunities N``, a bulk load of deals and their
stage events by COPY for the benchmarks (a million deals and about five
million events in a few minutes).

Both draw a deal's history from the same random walk (``stage_walk``):
forward most of the time, sometimes skipping a stage or going back, closing
won, lost or abandoned with odds that grow along the process, and now and
then reopening.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from customers.demo import REINDEX_ABOVE, _secondary_indexes_dropped
from customers.models import Contact, Customer, CustomerType, FollowUp
from projects.catalogue.demo import seed_products
from projects.deals import defaults
from projects.deals.services import (
    comment_add,
    evaluation_submit,
    member_add,
    opportunity_create,
    opportunity_move,
    partner_add,
    plan_item_save,
    todo_create,
)
from projects.models import (
    LossReason,
    Opportunity,
    OpportunityProduct,
    OpportunitySource,
    Process,
    Product,
    Question,
    Stage,
)

User = get_user_model()

DEAL_WORDS = [
    "数字化工厂",
    "信息化升级",
    "智能仓储",
    "数据中心扩容",
    "生产线改造",
    "ERP 替换",
    "云迁移",
    "数据治理",
    "质量追溯",
    "供应链协同",
    "设备联网",
    "安全加固",
]
SOURCES = [s.value for s in OpportunitySource]
TODO_TITLES = ["准备技术方案", "确认预算", "安排高层拜访", "提交报价单", "催签合同"]


@dataclass(frozen=True)
class ProcessShape:
    process: Process
    process_id: int
    open_stages: tuple[Stage, ...]
    closing: dict[str, Stage]
    mean_gap_days: float
    amount_mu: float

    @classmethod
    def load(cls) -> dict[str, ProcessShape]:
        defaults.install()
        shapes = {}
        for process in Process.objects.filter(code__in=["complex", "standard"]):
            stages = list(Stage.objects.filter(process=process, is_active=True).order_by("order"))
            complex_sale = process.kind == Process.Kind.COMPLEX
            shapes[process.code] = cls(
                process=process,
                process_id=process.pk,
                open_stages=tuple(s for s in stages if s.is_open),
                closing={s.kind: s for s in stages if not s.is_open},
                mean_gap_days=24.0 if complex_sale else 9.0,
                amount_mu=12.4 if complex_sale else 10.6,
            )
        return shapes


def stage_walk(
    rng: random.Random, shape: ProcessShape, start: datetime, now: datetime
) -> list[tuple[Stage, datetime]]:
    """A plausible history: (stage entered, when), the first being the opening."""
    stages = shape.open_stages
    steps = [(stages[0], start)]
    index, closed, at = 0, False, start
    while True:
        at = at + timedelta(days=rng.expovariate(1 / shape.mean_gap_days), hours=rng.random())
        if at >= now:
            break
        if closed:
            if rng.random() < 0.10:  # reopened
                index, closed = rng.randrange(len(stages)), False
                steps.append((stages[index], at))
                continue
            break
        roll = rng.random()
        close_odds = 0.07 + 0.06 * index
        last = index == len(stages) - 1
        if roll < close_odds or (last and roll < 0.8):
            win_odds = 0.25 + 0.12 * index
            outcome = rng.random()
            if outcome < win_odds:
                stage = shape.closing[Stage.Kind.WON]
            elif outcome < 0.88:
                stage = shape.closing[Stage.Kind.LOST]
            else:
                stage = shape.closing[Stage.Kind.ABANDONED]
            closed = True
        elif last:
            continue  # stays in the last stage a while longer
        elif index and roll < close_odds + 0.11:
            index -= 1  # back a stage
            stage = stages[index]
        elif index + 2 < len(stages) and roll > 0.93:
            index += 2  # skips a stage
            stage = stages[index]
        else:
            index += 1
            stage = stages[index]
        steps.append((stage, at))
    return steps


def _amount(rng: random.Random, shape: ProcessShape) -> Decimal:
    value = max(5000, round(rng.lognormvariate(shape.amount_mu, 0.9), -3))
    return Decimal(value).quantize(Decimal("0.01"))


def _deal_title(rng: random.Random, customer_short: str = "") -> str:
    return f"{customer_short}{rng.choice(DEAL_WORDS)}项目"


# --- The demo users' deals ----------------------------------------------------------


DEMO_DEAL_OWNERS = ("rep", "rep_b", "manager", "rep2", "branch_mgr")


#: Deals through the services for at most this many customers of each demo user.
DEMO_CUSTOMERS_PER_OWNER = 20


@transaction.atomic
def seed_demo_deals() -> int:
    """Deals of the demo users' customers, written through the services."""
    if Opportunity.objects.filter(owner__username__in=DEMO_DEAL_OWNERS).exists():
        return 0
    rng = random.Random(20261124)
    now = timezone.now()
    shapes = ProcessShape.load()
    users = {u.username: u for u in User.objects.filter(username__in=[*DEMO_DEAL_OWNERS])}
    if len(users) < len(DEMO_DEAL_OWNERS):
        return 0
    products = list(Product.objects.filter(is_active=True))
    reasons = list(LossReason.objects.filter(is_active=True))
    created = 0
    for username in DEMO_DEAL_OWNERS:
        owner = users[username]
        # The hand-made demo customers come first; the bulk ones that
        # ``--customers N`` adds get bulk deals only with ``--opportunities N``.
        customers = Customer.objects.filter(owner=owner, is_archived=False).order_by("id")
        for customer in customers[:DEMO_CUSTOMERS_PER_OWNER]:
            for _ in range(rng.choice([1, 1, 2, 2, 3])):
                shape = shapes["standard" if rng.random() < 0.3 else "complex"]
                _demo_deal(
                    rng,
                    shape,
                    customer=customer,
                    owner=owner,
                    by=owner,
                    now=now,
                    products=products,
                    reasons=reasons,
                )
                created += 1
    created += _demo_pool(rng, shapes, users=users, now=now)
    _demo_workspace(rng, users=users, now=now)
    return created


def _demo_deal(
    rng, shape, *, customer, owner, by, now, products, reasons, start=None
) -> Opportunity:
    # Recent deals are more numerous than old ones: most old ones have closed.
    start = start or now - timedelta(days=3 + 537 * rng.random() ** 1.8)
    steps = stage_walk(rng, shape, start, now)
    amount = _amount(rng, shape)
    deal = opportunity_create(
        by=by,
        customer=customer,
        process=shape.process,
        title=_deal_title(rng, customer.short_name),
        owner=owner,
        department=None if owner else by.employee.department,
        stage=steps[0][0],
        at=steps[0][1],
        source=rng.choice(SOURCES),
        expected_amount=amount,
        expected_close_date=(start + timedelta(days=rng.randrange(60, 240))).date(),
    )
    Opportunity.objects.filter(pk=deal.pk).update(created_at=start)
    for stage, at in steps[1:]:
        deal = opportunity_move(
            opportunity=deal,
            to_stage=stage,
            by=None,
            at=at,
            loss_reason=rng.choice(reasons) if stage.kind == Stage.Kind.LOST else None,
        )
    # Overdue close dates are moved on, as reps do; a few are left overdue.
    if deal.is_open and deal.expected_close_date < now.date() and rng.random() < 0.8:
        Opportunity.objects.filter(pk=deal.pk).update(
            expected_close_date=now.date() + timedelta(days=rng.randrange(0, 120))
        )
    if products:
        product = rng.choice(products)
        OpportunityProduct.objects.create(
            opportunity=deal,
            product=product,
            quantity=Decimal(rng.choice([1, 1, 2, 3, 5, 10])),
            unit_price=product.list_price,
        )
    return deal


def _demo_pool(rng, shapes, *, users, now) -> int:
    """Unassigned deals waiting in the pool of East team 1 and of the South."""
    created = 0
    for manager_name, count in (("manager", 6), ("rep2", 3)):
        by = users[manager_name]
        customers = list(Customer.objects.filter(owner=by).order_by("id")[:count])
        for customer in customers:
            shape = shapes["complex"]
            deal = opportunity_create(
                by=by,
                customer=customer,
                process=shape.process,
                title=_deal_title(rng, customer.short_name),
                owner=None,
                department=by.employee.department,
                at=now - timedelta(days=rng.randrange(1, 20)),
                source=rng.choice(SOURCES),
                expected_amount=_amount(rng, shape),
                expected_close_date=now.date() + timedelta(days=rng.randrange(30, 200)),
            )
            created += bool(deal)
    return created


def _demo_workspace(rng, *, users, now) -> None:
    """The rep's open deals get a team, partners, a plan, to-dos, discussion,
    work records and a qualification, so the deal page has something to show."""
    rep, rep_b, rep2, manager = users["rep"], users["rep_b"], users["rep2"], users["manager"]
    today = timezone.localdate()
    deals = list(
        Opportunity.objects.filter(owner=rep, status=Stage.Kind.OPEN)
        .select_related("customer", "stage")
        .order_by("id")
    )
    partners = list(
        Customer.objects.filter(
            owner__in=[rep, rep_b], type__in=[CustomerType.DISTRIBUTOR, CustomerType.PARTNER]
        )[:3]
    )
    for number, deal in enumerate(deals):
        if number % 2 == 0:
            member_add(opportunity=deal, user=rep_b, role="sales", by=rep)
        if number == 0:
            member_add(opportunity=deal, user=rep2, role="presales", by=rep)
            member_add(opportunity=deal, user=manager, role="management", by=rep)
        if partners and number % 3 == 0:
            partner_add(
                opportunity=deal,
                partner=partners[number % len(partners)],
                role="integrator",
                by=rep,
            )
        todo_create(
            opportunity=deal,
            by=rep,
            title=rng.choice(
                ["准备技术方案", "确认预算", "安排高层拜访", "提交报价单", "催签合同"]
            ),
            due_date=today + timedelta(days=rng.choice([-3, -1, 0, 0, 2, 7])),
        )
        comment_add(
            opportunity=deal, by=manager, body="客户采购部希望下周再约一次技术交流，谁跟进？"
        )
        comment_add(opportunity=deal, by=rep, body="好的，我来约时间，方案下周一前发出。")
        _demo_plan(deal, by=rep, today=today)
        follow_ups = list(
            FollowUp.objects.filter(customer=deal.customer).order_by("-occurred_at")[:2]
        )
        deal.follow_ups.add(*follow_ups)
        contacts = list(Contact.objects.filter(customer=deal.customer).order_by("id")[:3])
        deal.contacts.add(*contacts)
        questions = list(
            Question.objects.filter(process_id=deal.process_id, is_active=True).prefetch_related(
                "options"
            )
        )
        if questions and number % 2 == 1:
            evaluation_submit(
                opportunity=deal,
                by=rep,
                answers={q.pk: rng.choice(list(q.options.all())).pk for q in questions},
            )
    # Two have sat in their first stage for too long (rotting); some close this month.
    for customer in Customer.objects.filter(owner=rep).order_by("-id")[:2]:
        opened = now - timedelta(days=rng.randrange(70, 90))
        deal = opportunity_create(
            by=rep,
            customer=customer,
            process=Process.objects.get(code="complex"),
            title=_deal_title(rng, customer.short_name),
            owner=rep,
            at=opened,
            expected_amount=Decimal("380000.00"),
            expected_close_date=today + timedelta(days=45),
        )
        Opportunity.objects.filter(pk=deal.pk).update(created_at=opened)
    for deal in deals[2:5]:
        Opportunity.objects.filter(pk=deal.pk).update(
            expected_close_date=today.replace(day=min(28, today.day + 1))
        )


def _demo_plan(deal: Opportunity, *, by, today: date) -> None:
    stages = list(Stage.objects.filter(process_id=deal.process_id, kind=Stage.Kind.OPEN))
    start = deal.created_at.date()
    for position, stage in enumerate(stages):
        planned_end = start + timedelta(days=21)
        done = stage.order < deal.stage.order and start <= today
        current = stage.pk == deal.stage_id and start <= today
        plan_item_save(
            opportunity=deal,
            by=by,
            stage=stage,
            name=str(stage),
            order=position,
            planned_start=start,
            planned_end=planned_end,
            actual_start=start if done or current else None,
            actual_end=(
                max(start, min(planned_end + timedelta(days=position * 2), today)) if done else None
            ),
        )
        start = planned_end


# --- Bulk load for the benchmarks ----------------------------------------------------


EVENT_COLUMNS = (
    "opportunity_id",
    "process_id",
    "from_stage_id",
    "to_stage_id",
    "at",
    "by_id",
    "left_at",
    "next_stage_id",
    "note",
)


def _opportunity_columns() -> list[str]:
    return [field.column for field in Opportunity._meta.concrete_fields]


def bulk_opportunities(target: int, *, stdout, batch: int = 50_000) -> tuple[int, int]:
    """Top deals up to ``target`` with COPY: (deals, events) written."""
    missing = target - Opportunity.objects.count()
    if missing <= 0:
        return 0, 0
    shapes = ProcessShape.load()
    seed_products()
    customers = _customer_owners()
    if not customers:
        return 0, 0
    rng = random.Random(target)
    now = timezone.now()
    reasons = list(LossReason.objects.values_list("pk", flat=True))
    products = list(Product.objects.values_list("pk", "list_price"))
    fields = Opportunity._meta.concrete_fields
    columns = ", ".join(f.column for f in fields)
    next_id = (Opportunity.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    deals_written = events_written = 0
    bulk = missing > REINDEX_ABOVE
    with (
        _secondary_indexes_dropped("projects_opportunity", when=bulk),
        _secondary_indexes_dropped("projects_stageevent", when=bulk),
        connection.cursor() as cursor,
    ):
        raw = cursor.cursor
        while deals_written < missing:
            size = min(batch, missing - deals_written)
            deals, events, lines = [], [], []
            for pk in range(next_id, next_id + size):
                customer_id, owner_id, department_id, branch_id = rng.choice(customers)
                shape = shapes["standard" if rng.random() < 0.25 else "complex"]
                start = now - timedelta(minutes=rng.randrange(60, 540 * 24 * 60))
                steps = stage_walk(rng, shape, start, now)
                stage, entered = steps[-1]
                pooled = stage.is_open and rng.random() < 0.02
                row = {
                    "id": pk,
                    "owner_id": None if pooled else owner_id,
                    "department_id": department_id,
                    "branch_id": branch_id,
                    "created_at": start,
                    "updated_at": entered,
                    "customer_id": customer_id,
                    "title": _deal_title(rng),
                    "source": rng.choice(SOURCES),
                    "process_id": shape.process_id,
                    "stage_id": stage.pk,
                    "status": stage.kind,
                    "stage_entered_at": entered,
                    "expected_amount": _amount(rng, shape),
                    "probability": stage.probability,
                    "expected_close_date": (
                        entered.date()
                        if not stage.is_open
                        else (start + timedelta(days=rng.randrange(60, 300))).date()
                    ),
                    "description": "",
                    "closed_at": None if stage.is_open else entered,
                    "loss_reason_id": (
                        rng.choice(reasons) if stage.kind == Stage.Kind.LOST else None
                    ),
                    "close_note": "",
                    "score": None,
                    "grade": "",
                }
                deals.append(tuple(row.get(f.column, f.get_default()) for f in fields))
                previous = None
                for number, (to_stage, at) in enumerate(steps):
                    following = steps[number + 1] if number + 1 < len(steps) else None
                    events.append(
                        (
                            pk,
                            shape.process_id,
                            previous.pk if previous else None,
                            to_stage.pk,
                            at,
                            owner_id,
                            following[1] if following else None,
                            following[0].pk if following else None,
                            "",
                        )
                    )
                    previous = to_stage
                if rng.random() < 0.3:
                    product_id, price = rng.choice(products)
                    lines.append((pk, product_id, Decimal(rng.choice([1, 2, 5])), price))
            with transaction.atomic():
                _skip_foreign_key_triggers(cursor)
                with raw.copy(f"COPY projects_opportunity ({columns}) FROM STDIN") as copy:
                    for deal in deals:
                        copy.write_row(deal)
                with raw.copy(
                    f"COPY projects_stageevent ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
                ) as copy:
                    for event in events:
                        copy.write_row(event)
                with raw.copy(
                    "COPY projects_opportunityproduct"
                    " (opportunity_id, product_id, quantity, unit_price) FROM STDIN"
                ) as copy:
                    for line in lines:
                        copy.write_row(line)
            next_id += size
            deals_written += size
            events_written += len(events)
            stdout.write(f"  deals: {deals_written:,}/{missing:,} ({events_written:,} events)")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('projects_opportunity', 'id'), %s)",
            [next_id - 1],
        )
    with connection.cursor() as cursor:
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        for table in ("projects_opportunity", "projects_stageevent", "projects_opportunityproduct"):
            cursor.execute(f"{vacuum} {table}")
    return deals_written, events_written


def _skip_foreign_key_triggers(cursor) -> None:
    """The bulk rows reference only rows read or written a moment ago, so the
    per-row foreign-key checks (seven per deal, five per event) are skipped
    for this transaction where the database role may do that (a superuser,
    as in development and CI); elsewhere they simply run."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        cursor.execute("SET LOCAL session_replication_role = replica")


def _customer_owners() -> list[tuple[int, int, int, int]]:
    """(customer, owner, department, branch) of every owned customer."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, owner_id, department_id, branch_id FROM customers_customer"
            " WHERE owner_id IS NOT NULL AND NOT is_archived"
        )
        return cursor.fetchall()
