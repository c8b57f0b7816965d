"""Demo deals, written by the services and bulk-loaded, form valid histories."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import F

from projects.models import Opportunity, StageEvent
from tests.factories import make_opportunity

User = get_user_model()

pytestmark = pytest.mark.django_db


def _broken_histories() -> int:
    """Deals whose events do not chain: each event must end where the next
    begins, go where the next goes, start from no stage, and end in the
    deal's current stage."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH chained AS (
                SELECT e.*,
                       lead(e.at) OVER w AS following_at,
                       lead(e.to_stage_id) OVER w AS following_stage,
                       lag(e.to_stage_id) OVER w AS previous_stage,
                       row_number() OVER w AS position
                FROM projects_stageevent e
                WINDOW w AS (PARTITION BY e.opportunity_id ORDER BY e.at, e.id)
            )
            SELECT count(DISTINCT c.opportunity_id) FROM chained c
            JOIN projects_opportunity o ON o.id = c.opportunity_id
            WHERE c.left_at IS DISTINCT FROM c.following_at
               OR c.next_stage_id IS DISTINCT FROM c.following_stage
               OR c.from_stage_id IS DISTINCT FROM c.previous_stage
               OR (c.following_at IS NULL AND
                   (c.to_stage_id <> o.stage_id OR c.at <> o.stage_entered_at))
            """
        )
        return cursor.fetchone()[0]


def test_demo_and_bulk_deals_have_valid_stage_histories(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    demo = Opportunity.objects.count()
    assert demo > 50
    assert Opportunity.objects.filter(owner__username="rep", status="open").exists()
    assert Opportunity.objects.filter(owner__isnull=True, status="open").exists()
    assert set(Opportunity.objects.values_list("status", flat=True)) == {
        "open",
        "won",
        "lost",
        "abandoned",
    }
    call_command("seed_demo", verbosity=0)
    assert Opportunity.objects.count() == demo  # idempotent

    call_command("seed_demo", opportunities=demo + 800, verbosity=0)
    assert Opportunity.objects.count() == demo + 800
    assert StageEvent.objects.count() > 3 * (demo + 800)
    assert _broken_histories() == 0
    assert not Opportunity.objects.filter(status="lost", loss_reason__isnull=True).exists()
    owned = Opportunity.objects.filter(owner__isnull=False)
    assert not owned.exclude(department=F("owner__employee__department")).exists()
    # The id sequence was moved past the bulk rows: a new deal saves.
    last = Opportunity.objects.order_by("-pk").values_list("pk", flat=True)[0]
    rep = User.objects.get(username="rep")
    assert make_opportunity(rep).pk > last
