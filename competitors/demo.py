"""Demo competitor data (``manage.py seed_demo``): five competitors with
their strengths and weaknesses, two products each (matched to our products),
a year of monthly observed prices, the competition on the demo deals (their
quotes, strategy, threat; the winner on lost deals), some prices seen on
those deals and a few competitive orders at the demo customers.

Idempotent: competitors and products are created when missing; prices,
competition and orders only on the first run.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from competitors import services
from competitors.models import (
    CompetitiveOrder,
    Competitor,
    CompetitorProduct,
    DealCompetitor,
    ThreatLevel,
)
from projects.models import Opportunity, Product, Stage

#: Runs after the deals exist.
ORDER = 20

#: Whose deals get competition (the demo users of ``projects.deals.demo``).
DEMO_DEAL_OWNERS = ("rep", "rep_b", "manager", "rep2", "branch_mgr")

COMPETITORS = [
    # name, website, strengths, weaknesses, notes, (product names), price level
    (
        "华信办公科技",
        "https://huaxin.example.com",
        "价格低，华东渠道多 / Low prices, many dealers in East China",
        "售后响应慢 / Slow after-sales service",
        "常以低价切入政府采购 / Enters public tenders with low bids",
        ("华信 HX-300 复印机", "华信 HX-50 打印机"),
        Decimal("0.85"),
    ),
    (
        "博远数码",
        "https://boyuan.example.com",
        "产品线全，品牌知名 / Full range, known brand",
        "报价高，折扣少 / High prices, few discounts",
        "",
        ("博远 BY-Pro 多功能一体机", "博远 BY-Scan 扫描仪"),
        Decimal("1.15"),
    ),
    (
        "东航信息设备",
        "https://donghang.example.com",
        "与大型国企关系深 / Close ties with large state firms",
        "交付周期长 / Long delivery times",
        "",
        ("东航 DH-9 复印机", "东航 DH-Net 管理软件"),
        Decimal("1.00"),
    ),
    (
        "南粤科技",
        "https://nanyue.example.com",
        "华南本地服务快 / Fast local service in South China",
        "华东几乎没有网点 / Hardly present in East China",
        "",
        ("南粤 NY-2 打印机", "南粤 NY-Care 维保套餐"),
        Decimal("0.95"),
    ),
    (
        "启明办公",
        "https://qiming.example.com",
        "租赁方案灵活 / Flexible leasing",
        "设备可靠性一般 / Average reliability",
        "常与融资租赁公司合作 / Works with leasing companies",
        ("启明 QM-Lease 租赁方案", "启明 QM-8 一体机"),
        Decimal("0.90"),
    ),
]
STRATEGIES = [
    "低价抢单，承诺三年免费维保",
    "高层关系推动，强调品牌",
    "捆绑软件与耗材，总价打包",
    "以租代售，降低首付",
    "Price cut of 10 % at the last round",
]
SOURCES = ["招标公告", "客户提供的报价单", "渠道商价格表", "Trade fair price list"]


def _competitors(products: list[Product]) -> list[Competitor]:
    made = []
    for index, (name, website, strong, weak, notes, product_names, _level) in enumerate(
        COMPETITORS
    ):
        competitor = Competitor.objects.filter(name=name).first() or services.competitor_create(
            by=None, name=name, website=website, strengths=strong, weaknesses=weak, notes=notes
        )
        for offset, product_name in enumerate(product_names):
            if not CompetitorProduct.objects.filter(
                competitor=competitor, name=product_name
            ).exists():
                ours = products[(index * 2 + offset) % len(products)] if products else None
                services.competitor_product_create(
                    competitor=competitor, name=product_name, our_product=ours, by=None
                )
        made.append(competitor)
    return made


def _prices(rng: random.Random, today) -> int:
    created = 0
    levels = {name: level for name, *_rest, level in COMPETITORS}
    for product in CompetitorProduct.objects.select_related("competitor", "our_product"):
        if product.prices.exists():
            continue
        ours = product.our_product.list_price if product.our_product else 0
        level = levels.get(product.competitor.name, Decimal("1"))
        base = (ours if ours and ours > 0 else Decimal("20000")) * level
        for month in range(12, 0, -1):
            drift = Decimal(str(1 + (12 - month) * -0.01 + rng.uniform(-0.03, 0.03)))
            services.price_observe(
                product=product,
                price=(base * drift).quantize(Decimal("1")),
                observed_on=today - timedelta(days=30 * month - rng.randint(0, 10)),
                source=rng.choice(SOURCES),
                by=None,
            )
            created += 1
    return created


def seed_competition(deals, *, rng: random.Random | None = None) -> int:
    """The competition on ``deals`` (only when none of them has any yet)."""
    rng = rng or random.Random(20261204)
    if DealCompetitor.objects.filter(opportunity__in=deals).exists():
        return 0
    competitors = list(Competitor.objects.filter(is_active=True).order_by("name"))
    if not competitors:
        return 0
    products = {c.pk: list(c.products.all()) for c in competitors}
    created = 0
    for deal in deals.order_by("id"):
        if rng.random() < 0.3:
            continue
        present = rng.sample(competitors, rng.choice([1, 1, 2, 3]))
        for competitor in present:
            quote = (deal.expected_amount * Decimal(str(rng.uniform(0.8, 1.1)))).quantize(
                Decimal("1")
            )
            services.deal_competitor_add(
                opportunity=deal.pk,
                competitor=competitor,
                by=None,
                quote_amount=quote,
                strategy=rng.choice(STRATEGIES),
                threat=rng.choice(ThreatLevel.values),
            )
            created += 1
            if products[competitor.pk] and rng.random() < 0.3:
                # a unit price the customer showed us, near the product's level
                product = rng.choice(products[competitor.pk])
                latest = product.prices.order_by("-observed_on", "-id").first()
                if latest is not None:
                    services.price_observe(
                        product=product,
                        price=(latest.price * Decimal(str(rng.uniform(0.92, 1.02)))).quantize(
                            Decimal("1")
                        ),
                        observed_on=deal.created_at.date(),
                        source="客户提供的报价单",
                        opportunity=deal.pk,
                        by=None,
                    )
        if deal.status == Stage.Kind.LOST and rng.random() < 0.8:
            entry = DealCompetitor.objects.filter(
                opportunity_id=deal.pk, competitor=rng.choice(present)
            ).first()
            services.deal_competitor_update(entry=entry, by=None, won_deal=True)
    return created


def _orders(rng: random.Random, deals, today) -> int:
    if CompetitiveOrder.objects.exists():
        return 0
    customers = list({deal.customer_id for deal in deals.order_by("id")[:40]})
    competitors = list(Competitor.objects.prefetch_related("products"))
    created = 0
    for customer_id in customers[:12]:
        competitor = rng.choice(competitors)
        services.competitive_order_create(
            customer=customer_id,
            competitor=competitor,
            product=rng.choice(list(competitor.products.all()))
            if competitor.products.all()
            else None,
            amount=Decimal(rng.randrange(30, 500) * 1000),
            won_on=today - timedelta(days=rng.randint(5, 360)),
            by=None,
        )
        created += 1
    return created


@transaction.atomic
def seed_all(deals) -> dict[str, int]:
    rng = random.Random(20261204)
    today = timezone.localdate()
    products = list(Product.objects.filter(is_active=True).order_by("code"))
    competitors = _competitors(products)
    return {
        "competitors": len(competitors),
        "prices": _prices(rng, today),
        "competition": seed_competition(deals, rng=rng),
        "orders": _orders(rng, deals, today),
    }


def seed(*, options, stdout) -> None:
    deals = Opportunity.objects.filter(owner__username__in=DEMO_DEAL_OWNERS)
    counts = seed_all(deals)
    stdout.write(
        "competitors: {competitors} competitors, {prices} prices, "
        "{competition} on deals, {orders} competitive orders".format(**counts)
    )
