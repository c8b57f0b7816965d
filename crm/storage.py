"""File storages of the CRM."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Uploads only their owner may read (import files): kept outside
    ``MEDIA_ROOT`` and without a URL; a view that checks who asks streams them."""

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks access.")
