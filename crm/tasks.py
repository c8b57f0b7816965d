"""Kernel tasks. Tasks stay thin: they take ids and call services."""

import os
import socket

from celery import shared_task


@shared_task(name="crm.ping")
def ping() -> dict:
    """Answer where the task ran; used by health checks and the worker test."""
    return {"pong": True, "pid": os.getpid(), "host": socket.gethostname()}


# Tasks of the kernel's sub-packages (autodiscovery reads crm.tasks only).
from crm.attachments.tasks import (  # noqa: E402, F401
    attachments_sync_scope_all,
    extract_attachment_text,
)
