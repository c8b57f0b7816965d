"""Team activity (ANA-4): follow-ups logged per rep in the last 7 and 30 days,
over the scoped follow-up records. One aggregate query, and one for the
names of the reps counted."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet


def activity_figures(*, follow_ups: QuerySet, now: datetime) -> dict:
    """``follow_ups``: the scoped ``FollowUp`` queryset."""
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    rows = list(
        follow_ups.order_by()
        .filter(occurred_at__gte=month, occurred_at__lte=now, owner__isnull=False)
        .values("owner_id")
        .annotate(last_7=Count("id", filter=Q(occurred_at__gte=week)), last_30=Count("id"))
        .order_by("-last_30", "owner_id")
    )
    users = get_user_model().objects.in_bulk([row["owner_id"] for row in rows])
    reps = [
        {
            "user": row["owner_id"],
            "name": users[row["owner_id"]].get_full_name() or users[row["owner_id"]].username,
            "last_7": row["last_7"],
            "last_30": row["last_30"],
        }
        for row in rows
    ]
    return {
        "as_of": now.isoformat(),
        "reps": reps,
        "totals": {
            "last_7": sum(r["last_7"] for r in reps),
            "last_30": sum(r["last_30"] for r in reps),
        },
    }
