"""Demo data of the projects app (``AppConfig.demo_seeder``): products,
the demo users' deals, quotes, orders and contracts, and bulk deals for the
benchmarks. Each topic seeds its own; this module runs them in order."""

from __future__ import annotations

from projects.catalogue.demo import seed_products
from projects.contracts.demo import seed_orders
from projects.deals.demo import bulk_opportunities, seed_demo_deals
from projects.quotes.demo import seed_quotes


def add_arguments(parser) -> None:
    parser.add_argument(
        "--opportunities",
        type=int,
        default=0,
        help="Top the deals up to N with bulk-loaded deals and stage events (benchmarks).",
    )


def seed(*, options, stdout) -> None:
    products = seed_products()
    stdout.write(f"projects: {products} products created")
    created = seed_demo_deals()
    stdout.write(f"projects: {created} demo deals created")
    seed_quotes(stdout)
    seed_orders(stdout)
    target = options.get("opportunities") or 0
    if target:
        deals, events = bulk_opportunities(target, stdout=stdout)
        stdout.write(f"projects: {deals:,} bulk deals and {events:,} stage events added")
