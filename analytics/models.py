"""Stored report snapshots (ANA-7).

A snapshot is the last computed figures of one report (``kind``) for one
scope (``scope_key``, see ``analytics.scopes``) and one set of parameters
(``params_key``, their canonical JSON). There is one row per combination: a
recompute overwrites it, so the page always finds "the latest" with one
indexed lookup and the table does not grow with every click. While a new
computation runs, the previous figures stay readable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Snapshot(models.Model):
    class Kind(models.TextChoices):
        FUNNEL = "funnel", _("Funnel")
        FORECAST = "forecast", _("Forecast")
        ACTIVITY = "activity", _("Team activity")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Computing")
        DONE = "done", _("Up to date")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("report"), max_length=20, choices=Kind.choices)
    scope_key = models.CharField(_("scope"), max_length=40)
    params_key = models.CharField(max_length=255)
    parameters = models.JSONField(_("parameters"), default=dict)
    period_end = models.DateField(null=True, blank=True)
    figures = models.JSONField(_("figures"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.CharField(max_length=300, blank=True)
    stale = models.BooleanField(
        _("outdated"), default=False, help_text=_("Deals changed after it was computed.")
    )
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    viewed_at = models.DateTimeField(_("last viewed"))

    class Meta:
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope_key", "params_key"], name="snapshot_unique_report"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="snapshot_progress_0_100"
            ),
        ]
        indexes = [
            models.Index(fields=["scope_key", "kind"], name="snapshot_scope"),
            models.Index(
                fields=["-viewed_at"], name="snapshot_stale", condition=models.Q(stale=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scope_key} {self.params_key}"

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
