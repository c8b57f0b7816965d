"""Import and export pages (IMP-1, IMP-2)."""

urlpatterns: list = []
