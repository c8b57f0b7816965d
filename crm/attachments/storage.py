"""The default storage of attachments: ``MEDIA_ROOT/attachments`` on disk.

Read lazily, so it follows ``MEDIA_ROOT`` (tests point it at a temporary
directory), and without a URL: attachments are only ever served through
``crm.attachments.views.attachment_download``, which checks the scope.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class AttachmentFileSystemStorage(FileSystemStorage):
    @cached_property
    def base_location(self):
        return self._value_or_setting(
            self._location, os.path.join(settings.MEDIA_ROOT, "attachments")
        )

    def url(self, name):
        raise ValueError("Attachments have no public URL; use the download view.")
