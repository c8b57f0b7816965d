"""The funnel on generated data: the demo deals (written through the
services) and bulk-loaded ones (``seed_demo --opportunities``), each with a
random walk of stages -- forward, skipping, back, closing and reopening.

For every stage and several periods: opening + inflow - outflow = closing,
and every figure equals a plain replay of the events in Python (the
definitions, one event at a time; fine in a test, never in the app).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics.funnel import funnel_figures
from analytics.periods import Period
from projects.models import Opportunity, Stage, StageEvent

pytestmark = pytest.mark.django_db


def replay(period: Period) -> dict[int, dict]:
    """Every figure of every open stage, event by event."""
    start, end = period.start_at, period.end_at
    stages = {s.pk: s for s in Stage.objects.all()}
    events = list(
        StageEvent.objects.values("opportunity_id", "to_stage_id", "at", "left_at", "next_stage_id")
    )

    def there_at(event, t):
        return event["at"] < t and (event["left_at"] is None or event["left_at"] >= t)

    final_kind = {}
    for event in events:
        if there_at(event, end):
            final_kind[event["opportunity_id"]] = stages[event["to_stage_id"]].kind
    figures = defaultdict(lambda: defaultdict(int))
    entered = defaultdict(set)
    for event in events:
        stage = stages[event["to_stage_id"]]
        if stage.kind != Stage.Kind.OPEN:
            continue
        row = figures[stage.pk]
        left = event["left_at"]
        outflow = left is not None and start <= left < end
        following = stages.get(event["next_stage_id"])
        row["opening"] += there_at(event, start)
        row["closing"] += there_at(event, end)
        row["inflow"] += start <= event["at"] < end
        row["outflow"] += outflow
        row["stalled"] += event["at"] < start and (left is None or left >= end)
        if outflow:
            row["won"] += following.kind == Stage.Kind.WON
            row["lost"] += following.kind == Stage.Kind.LOST
            row["converted"] += following.kind == Stage.Kind.WON or (
                following.kind == Stage.Kind.OPEN and following.order > stage.order
            )
        if event["at"] < end:
            entered[stage.pk].add(event["opportunity_id"])
    for stage_id, deals in entered.items():
        closed = [d for d in deals if final_kind.get(d, Stage.Kind.OPEN) != Stage.Kind.OPEN]
        figures[stage_id]["closed_at_end"] = len(closed)
        figures[stage_id]["won_at_end"] = sum(final_kind[d] == Stage.Kind.WON for d in closed)
    return figures


@pytest.fixture
def generated(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", opportunities=Opportunity.objects.count() + 1500, verbosity=0)
    return StageEvent.objects.count()


def test_figures_equal_the_replay_and_are_conserved_for_every_stage(generated):
    today = timezone.localdate()
    periods = [
        Period.quarter_of(today),
        Period.quarter_of(Period.quarter_of(today).start - timedelta(days=1)),
        Period(today - timedelta(days=365), today + timedelta(days=1)),
        Period(date(2000, 1, 1), today - timedelta(days=200)),
    ]
    assert generated > 5000
    for period in periods:
        figures = funnel_figures(opportunities=None, period=period)
        expected = replay(period)
        assert len(figures["stages"]) == Stage.objects.filter(kind=Stage.Kind.OPEN).count()
        busy = 0
        for row in figures["stages"]:
            assert row["opening"] + row["inflow"] - row["outflow"] == row["closing"], (period, row)
            want = expected[row["stage"]]
            for name in (
                "opening",
                "inflow",
                "outflow",
                "closing",
                "won",
                "lost",
                "stalled",
                "converted",
                "closed_at_end",
                "won_at_end",
            ):
                assert row[name] == want[name], (period, row["code"], name)
            busy += row["inflow"] + row["outflow"]
        assert busy > 0, period  # the period is not empty: the check means something
