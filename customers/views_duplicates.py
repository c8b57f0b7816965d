"""Duplicate check and merge pages (CUS-8)."""

urlpatterns: list = []
