"""The funnel's figures on hand-built stage histories (ANA-1).

Period: Q1 2025, [2025-01-01, 2025-04-01) local time. The complex process's
open stages are lead, needs, solution, tender, negotiation (in that order).

    deal  history                                              what it exercises
    d1    lead since Dec                                       stalled the whole period
    d2    lead since Dec → solution Jan 10 → won Feb 10         skips a stage, won in period
    d3    lead Jan 10 → needs Jan 11 → lead Feb 10               opened in period, moves back
    d4    needs since Dec → lost Jan 10 → needs Feb 10 → lost Mar 10   reopened, lost twice
    d5    lead Dec 1 → won Dec 2                                 closed before the period
    d6    lead May 1                                             opened after the period
    d7    tender since Dec → negotiation May 1                   open before, left after
    d8    negotiation Jan 10 → abandoned Feb 10                  abandoned in period
    d9    solution since Dec → lost Jan 10                       lost in period
    d10   lead since Dec → lost Jan 10                           lost from the first stage
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from analytics.funnel import funnel_figures
from analytics.periods import Period
from projects.deals.services import opportunity_move
from projects.models import Opportunity, Stage
from tests.analytics.conftest import local
from tests.factories import make_opportunity

pytestmark = pytest.mark.django_db

Q1 = Period(date(2025, 1, 1), date(2025, 4, 1))
DEC = date(2024, 12, 1)
JAN, FEB, MAR, MAY = date(2025, 1, 10), date(2025, 2, 10), date(2025, 3, 10), date(2025, 5, 1)


@pytest.fixture
def history(org, stages, loss_reason):
    rep = org.rep

    def deal(stage, day, hour=10):
        return make_opportunity(rep, stage=stages[stage], at=local(day, hour))

    def move(opportunity, stage, day, hour=10):
        return opportunity_move(
            opportunity=opportunity,
            to_stage=stages[stage],
            by=rep,
            at=local(day, hour),
            loss_reason=loss_reason if stage == "lost" else None,
        )

    deal("lead", DEC)  # d1
    d2 = deal("lead", DEC)
    move(d2, "solution", JAN)
    move(d2, "won", FEB)
    d3 = deal("lead", JAN)
    move(d3, "needs", JAN + timedelta(days=1))
    move(d3, "lead", FEB)
    d4 = deal("needs", DEC)
    move(d4, "lost", JAN)
    move(d4, "needs", FEB)
    move(d4, "lost", MAR)
    d5 = deal("lead", DEC)
    move(d5, "won", DEC + timedelta(days=1))
    deal("lead", MAY)  # d6
    d7 = deal("tender", DEC)
    move(d7, "negotiation", MAY)
    d8 = deal("negotiation", JAN)
    move(d8, "abandoned", FEB)
    d9 = deal("solution", DEC)
    move(d9, "lost", JAN)
    d10 = deal("lead", DEC)
    move(d10, "lost", JAN)


FIGURES = ("opening", "inflow", "outflow", "closing", "won", "lost", "stalled")

EXPECTED = {
    # stage:       opening inflow outflow closing won lost stalled  conversion success
    "lead": ((3, 2, 3, 2, 0, 1, 1), 0.4, 0.6667),
    "needs": ((1, 2, 3, 0, 0, 2, 0), 0.0, 0.0),
    "solution": ((1, 1, 2, 0, 1, 1, 0), 0.5, 0.5),
    "tender": ((1, 0, 0, 1, 0, 0, 1), 0.0, None),
    "negotiation": ((0, 1, 1, 0, 0, 0, 0), 0.0, 0.0),
}


def rows_by_code(figures):
    return {row["code"]: row for row in figures["stages"]}


def test_every_figure_of_every_stage(history, processes):
    figures = funnel_figures(opportunities=None, period=Q1, process_id=processes["complex"].pk)

    rows = rows_by_code(figures)
    assert list(rows) == ["lead", "needs", "solution", "tender", "negotiation"]
    for code, (counts, conversion, success) in EXPECTED.items():
        row = rows[code]
        assert tuple(row[name] for name in FIGURES) == counts, code
        assert row["conversion_rate"] == conversion, code
        assert row["success_rate"] == success, code
        assert row["opening"] + row["inflow"] - row["outflow"] == row["closing"], code
    assert figures["totals"] == {"inflow": 6, "won": 1, "lost": 4, "abandoned": 1}


def test_only_open_stages_are_rows(history, processes):
    figures = funnel_figures(opportunities=None, period=Q1, process_id=processes["complex"].pk)
    kinds = set(
        Stage.objects.filter(pk__in=[r["stage"] for r in figures["stages"]]).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {Stage.Kind.OPEN}


def test_the_period_after_sees_what_happened_later(history, processes):
    """Q2: d6 enters lead and d7 leaves tender for negotiation (May 1)."""
    figures = funnel_figures(
        opportunities=None,
        period=Period(date(2025, 4, 1), date(2025, 7, 1)),
        process_id=processes["complex"].pk,
    )
    rows = rows_by_code(figures)
    assert (rows["lead"]["opening"], rows["lead"]["inflow"], rows["lead"]["closing"]) == (2, 1, 3)
    assert (rows["tender"]["opening"], rows["tender"]["outflow"]) == (1, 1)
    assert rows["tender"]["conversion_rate"] == 1.0  # to a later open stage
    assert rows["tender"]["stalled"] == 0
    assert (rows["negotiation"]["inflow"], rows["negotiation"]["closing"]) == (1, 1)


def test_a_stage_change_at_the_very_start_counts_as_inflow_not_opening(org, stages, processes):
    deal = make_opportunity(org.rep, stage=stages["lead"], at=local(DEC))
    opportunity_move(opportunity=deal, to_stage=stages["needs"], by=org.rep, at=Q1.start_at)
    rows = rows_by_code(
        funnel_figures(opportunities=None, period=Q1, process_id=processes["complex"].pk)
    )
    assert (rows["lead"]["opening"], rows["lead"]["outflow"], rows["lead"]["closing"]) == (1, 1, 0)
    assert (rows["needs"]["opening"], rows["needs"]["inflow"]) == (0, 1)


def test_scoped_deals_only(history, org, stages, processes):
    """A deal of another rep outside the queryset is not counted."""
    make_opportunity(org.rep2, stage=stages["lead"], at=local(JAN))
    everyone = rows_by_code(
        funnel_figures(opportunities=None, period=Q1, process_id=processes["complex"].pk)
    )
    mine = rows_by_code(
        funnel_figures(
            opportunities=Opportunity.objects.filter(owner=org.rep),
            period=Q1,
            process_id=processes["complex"].pk,
        )
    )
    assert everyone["lead"]["inflow"] == 3
    assert mine["lead"]["inflow"] == 2


def test_all_processes_are_rows_in_process_order(history, org, standard_stages):
    make_opportunity(
        org.rep,
        process=standard_stages["contact"].process,
        stage=standard_stages["contact"],
        at=local(JAN),
    )
    figures = funnel_figures(opportunities=None, period=Q1)
    codes = [row["code"] for row in figures["stages"]]
    assert codes == [
        "lead",
        "needs",
        "solution",
        "tender",
        "negotiation",
        "contact",
        "quotation",
        "order",
    ]
    assert rows_by_code(figures)["contact"]["inflow"] == 1


def test_three_queries_whatever_the_data(history, processes, django_assert_num_queries):
    with django_assert_num_queries(3):
        funnel_figures(
            opportunities=Opportunity.objects.all(), period=Q1, process_id=processes["complex"].pk
        )
