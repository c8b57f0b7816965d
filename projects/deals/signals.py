"""Signals other apps listen to without this app importing them."""

from django.dispatch import Signal

#: Sent after a transaction that changed a deal (stage, amount, owner …)
#: commits; ``opportunity_id`` names it. Analytics marks its snapshots stale.
stages_changed = Signal()
