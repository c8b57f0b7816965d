"""The customer's 360° page (CUS-2) and what is done from it."""

from __future__ import annotations

from crm.viewsets import ScopedDetailView


class Customer360View(ScopedDetailView):
    pass


urlpatterns: list = []
