"""Report snapshots (ANA-7): request, compute, mark stale, access.

Pages never compute a report in the request when a worker is there: they
read the stored snapshot (one indexed row) and, when it is missing or
outdated, queue its computation; the page then polls a small status
endpoint. Without a broker (the demo) Celery runs eagerly and the figures
are computed inline, the same code path.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.activity import activity_figures
from analytics.charts import warm_charts
from analytics.forecast import forecast_figures
from analytics.funnel import funnel_figures
from analytics.models import Snapshot
from analytics.periods import Period
from analytics.scopes import ALL, AnalysisScope, access_scope, resolve_scope
from crm.scope import user_scope
from customers.models import FollowUp
from projects.models import Opportunity, OpportunityProduct

logger = logging.getLogger(__name__)

#: A viewed snapshot's ``viewed_at`` is written at most this often.
VIEW_RESOLUTION = timedelta(hours=1)
#: Stale snapshots viewed this recently are recomputed after stage changes.
REFRESH_WINDOW = timedelta(days=2)
REFRESH_LIMIT = 20
#: Stage changes within this many seconds share one refresh.
DEBOUNCE_SECONDS = 10
DEBOUNCE_KEY = "analytics:refresh-queued"
#: Team activity is recomputed when older than this.
ACTIVITY_MAX_AGE = timedelta(minutes=15)
#: A computation that has not finished after this long may be requested again.
STUCK_AFTER = timedelta(minutes=10)

REQUESTER_LOST_SCOPE = _("The person who asked for this report no longer has its scope.")
COMPUTATION_FAILED = _("The computation failed; try again.")


def params_key(parameters: dict) -> str:
    """The canonical form of a report's parameters (its identity)."""
    return json.dumps(parameters, sort_keys=True, separators=(",", ":"))


def _period_end(parameters: dict) -> date | None:
    end = parameters.get("end")
    return date.fromisoformat(end) if end else None


def _celery_eager() -> bool:
    from crm.celery import app

    return bool(app.conf.task_always_eager)


def _dispatch(snapshot_id: int) -> None:
    """Compute now (eager, the demo) or on a worker once the row is committed."""
    from analytics.tasks import compute_snapshot

    if _celery_eager():
        compute_snapshot.delay(snapshot_id)
    else:
        transaction.on_commit(lambda: compute_snapshot.delay(snapshot_id))


# --- Requests from pages ----------------------------------------------------------


def snapshot_for(*, user, kind: str, scope: AnalysisScope, parameters: dict) -> Snapshot:
    """The stored snapshot of this report, as fresh as it is; queued for
    computation when missing or outdated. ``scope`` was resolved for ``user``."""
    return snapshots_for(user=user, scope=scope, reports=[(kind, parameters)])[0]


def snapshots_for(*, user, scope: AnalysisScope, reports: list[tuple[str, dict]]) -> list[Snapshot]:
    """``snapshot_for`` of several reports of one scope, read in one query."""
    wanted = [(kind, params_key(parameters), parameters) for kind, parameters in reports]
    condition = Q()
    for kind, key, _parameters in wanted:
        condition |= Q(kind=kind, params_key=key)
    found = {
        (s.kind, s.params_key): s
        for s in Snapshot.objects.filter(scope_key=scope.key).filter(condition)
    }
    result = []
    for kind, key, parameters in wanted:
        snapshot = found.get((kind, key))
        if snapshot is None:
            snapshot = _create(user=user, kind=kind, scope=scope, key=key, parameters=parameters)
        else:
            snapshot = snapshot_viewed(snapshot=snapshot, by=user)
        result.append(snapshot)
    return result


def snapshot_viewed(*, snapshot: Snapshot, by) -> Snapshot:
    """A page shows ``snapshot``: queue it again if it is outdated, else note
    the view (at most once per ``VIEW_RESOLUTION``: it keeps it refreshed)."""
    now = timezone.now()
    if _needs_refresh(snapshot, now):
        return snapshot_recompute(snapshot=snapshot, by=by)
    if snapshot.viewed_at < now - VIEW_RESOLUTION:
        Snapshot.objects.filter(pk=snapshot.pk).update(viewed_at=now)
    return snapshot


def _create(*, user, kind: str, scope: AnalysisScope, key: str, parameters: dict) -> Snapshot:
    now = timezone.now()
    snapshot, created = Snapshot.objects.get_or_create(
        kind=kind,
        scope_key=scope.key,
        params_key=key,
        defaults={
            "parameters": parameters,
            "period_end": _period_end(parameters),
            "requested_at": now,
            "requested_by": user,
            "viewed_at": now,
        },
    )
    if created:
        _dispatch(snapshot.pk)
        snapshot.refresh_from_db()
    return snapshot


def _needs_refresh(snapshot: Snapshot, now) -> bool:
    if snapshot.is_busy:
        return snapshot.requested_at < now - STUCK_AFTER
    if snapshot.stale or snapshot.status == Snapshot.Status.FAILED:
        return True
    return snapshot.kind == Snapshot.Kind.ACTIVITY and (
        snapshot.computed_at is None or snapshot.computed_at < now - ACTIVITY_MAX_AGE
    )


def snapshot_recompute(*, snapshot: Snapshot, by) -> Snapshot:
    """Queue a new computation (the "Recompute" button); the old figures stay
    readable meanwhile. A computation already under way is not doubled."""
    now = timezone.now()
    queued = Snapshot.objects.filter(pk=snapshot.pk).filter(
        ~Q(status__in=[Snapshot.Status.QUEUED, Snapshot.Status.RUNNING])
        | Q(requested_at__lt=now - STUCK_AFTER)
    )
    if queued.update(
        status=Snapshot.Status.QUEUED,
        progress=0,
        error="",
        requested_at=now,
        requested_by=by,
        viewed_at=now,
    ):
        _dispatch(snapshot.pk)
    snapshot.refresh_from_db()
    return snapshot


def access_snapshot(*, user, pk) -> tuple[Snapshot, AnalysisScope]:
    """The snapshot ``pk`` if its scope is within ``user``'s, else 404."""
    snapshot = Snapshot.objects.filter(pk=pk).first()
    if snapshot is None:
        raise Http404("No such report.")
    return snapshot, access_scope(user, snapshot.scope_key)


# --- Computation (Celery) ------------------------------------------------------------


def report_opportunities(*, user, scope: AnalysisScope, parameters: dict):
    """The deals a report covers: the user's scope narrowed to ``scope`` and
    the owner and product filters. ``None`` means every deal (no filter)."""
    unfiltered = not parameters.get("owner") and not parameters.get("product")
    if scope.kind == ALL and user_scope(user).sees_all and unfiltered:
        return None
    deals = scope.narrow(Opportunity.objects.visible_to(user))
    if parameters.get("owner"):
        deals = deals.filter(owner_id=parameters["owner"])
    if parameters.get("product"):
        deals = deals.filter(
            pk__in=OpportunityProduct.objects.filter(product_id=parameters["product"]).values(
                "opportunity_id"
            )
        )
    return deals


def compute_figures(
    *, kind: str, user, scope: AnalysisScope, parameters: dict, progress: Callable[[int], None]
) -> dict:
    if kind == Snapshot.Kind.ACTIVITY:
        progress(50)
        return activity_figures(
            follow_ups=scope.narrow(FollowUp.objects.visible_to(user)), now=timezone.now()
        )
    period = Period(date.fromisoformat(parameters["start"]), date.fromisoformat(parameters["end"]))
    deals = report_opportunities(user=user, scope=scope, parameters=parameters)
    progress(30)
    compute = funnel_figures if kind == Snapshot.Kind.FUNNEL else forecast_figures
    return compute(opportunities=deals, period=period, process_id=parameters.get("process"))


def snapshot_compute(*, snapshot_id: int) -> Snapshot:
    """Compute a snapshot's figures and store them with the time. Run by the
    Celery task; also the eager path of the demo."""
    rows = Snapshot.objects.filter(pk=snapshot_id)
    rows.update(status=Snapshot.Status.RUNNING, progress=5, stale=False, error="")
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    user = snapshot.requested_by
    try:
        if user is None or not user.is_active:
            raise ValidationError(REQUESTER_LOST_SCOPE)
        user = get_user_model().objects.get(pk=user.pk)  # a fresh scope
        scope = resolve_scope(user, snapshot.scope_key)
    except ValidationError:
        rows.update(status=Snapshot.Status.FAILED, error=str(REQUESTER_LOST_SCOPE)[:300])
        return Snapshot.objects.get(pk=snapshot_id)
    try:
        figures = compute_figures(
            kind=snapshot.kind,
            user=user,
            scope=scope,
            parameters=snapshot.parameters,
            progress=lambda percent: rows.update(progress=percent),
        )
    except Exception:  # noqa: BLE001 - the page shows the failure; the log keeps the cause
        logger.exception("snapshot %s failed", snapshot_id)
        rows.update(status=Snapshot.Status.FAILED, error=str(COMPUTATION_FAILED)[:300])
        return Snapshot.objects.get(pk=snapshot_id)
    rows.update(
        figures=figures,
        status=Snapshot.Status.DONE,
        progress=100,
        computed_at=timezone.now(),
    )
    snapshot = Snapshot.objects.get(pk=snapshot_id)
    warm_charts(snapshot)
    return snapshot


# --- Stage changes -------------------------------------------------------------------


def scope_keys_of(opportunity_id: int) -> list[str]:
    """The scope keys whose reports include this deal."""
    row = (
        Opportunity.objects.filter(pk=opportunity_id)
        .values("owner_id", "branch_id", "department__path")
        .first()
    )
    if row is None:
        return [ALL]
    keys = [ALL, f"branch:{row['branch_id']}"]
    keys += [f"department:{d}" for d in row["department__path"].strip("/").split("/") if d]
    if row["owner_id"]:
        keys.append(f"owner:{row['owner_id']}")
    return keys


def snapshots_mark_stale(*, opportunity_id: int) -> int:
    """Mark the reports that include the deal as outdated: its forecasts, and
    its funnels whose period has not ended (a change now cannot alter a past
    period's figures). One small read and one UPDATE."""
    today = timezone.localdate()
    return (
        Snapshot.objects.filter(scope_key__in=scope_keys_of(opportunity_id), stale=False)
        .filter(Q(kind=Snapshot.Kind.FORECAST) | Q(kind=Snapshot.Kind.FUNNEL, period_end__gt=today))
        .update(stale=True)
    )


def snapshots_refresh_stale(*, limit: int = REFRESH_LIMIT) -> int:
    """Recompute the recently viewed outdated snapshots (after stage changes),
    one after the other in this task: a refresh is background work already."""
    cache.delete(DEBOUNCE_KEY)
    now = timezone.now()
    ids = list(
        Snapshot.objects.filter(stale=True, viewed_at__gte=now - REFRESH_WINDOW)
        .exclude(status__in=[Snapshot.Status.QUEUED, Snapshot.Status.RUNNING])
        .order_by("-viewed_at")
        .values_list("pk", flat=True)[:limit]
    )
    Snapshot.objects.filter(pk__in=ids).update(
        status=Snapshot.Status.QUEUED, progress=0, requested_at=now
    )
    for pk in ids:
        snapshot_compute(snapshot_id=pk)
    return len(ids)


def on_stages_changed(sender, opportunity_id: int, **kwargs) -> None:
    """``projects.signals.stages_changed`` (sent after the commit): mark the
    affected snapshots stale; with a worker, queue one refresh per
    ``DEBOUNCE_SECONDS`` however many deals change. Eagerly (the demo) the
    pages recompute an outdated snapshot when next opened instead, so a
    stage move never waits for a report."""
    if not snapshots_mark_stale(opportunity_id=opportunity_id) or _celery_eager():
        return
    if cache.add(DEBOUNCE_KEY, 1, timeout=DEBOUNCE_SECONDS * 3):
        from analytics.tasks import refresh_stale_snapshots

        refresh_stale_snapshots.apply_async(countdown=DEBOUNCE_SECONDS)
