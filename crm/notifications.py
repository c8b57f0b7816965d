"""In-app notifications and their e-mails (WF-1).

``notify`` writes one ``Notification`` per recipient and, once the
transaction commits, e-mails each of them the same text with an absolute
link. Nothing is sent for a rolled-back transaction, and a mail server that
fails does not undo what was committed: the failure is logged.

Text is rendered in each recipient's UI language (``Employee.language``, else
the site default), so callers pass *lazy* strings or callables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from crm.models import Notification

logger = logging.getLogger(__name__)

#: Where links in e-mails point; set ``CRM_BASE_URL`` in production.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"

Text = str | Callable[[], str] | Any  # a str, a lazy string, or a callable


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return getattr(settings, "CRM_BASE_URL", DEFAULT_BASE_URL).rstrip("/") + path


def _render(text: Text) -> str:
    return str(text() if callable(text) else text)


def notify(
    *, recipients: Iterable, title: Text, body: Text = "", url: str = ""
) -> list[Notification]:
    """Notify each active recipient once, in the app and by e-mail."""
    User = get_user_model()
    ids = {getattr(user, "pk", user) for user in recipients} - {None}
    if not ids:
        return []
    users = User.objects.filter(pk__in=ids, is_active=True).select_related("employee")
    notes, mails = [], []
    for user in users:
        employee = getattr(user, "employee", None)
        language = (employee.language if employee else "") or settings.LANGUAGE_CODE
        with translation.override(language):
            rendered_title, rendered_body = _render(title)[:200], _render(body)
        notes.append(
            Notification(recipient=user, title=rendered_title, body=rendered_body, url=url)
        )
        if user.email:
            text = "\n\n".join(part for part in (rendered_body, absolute_url(url)) if part)
            mails.append((rendered_title, text, settings.DEFAULT_FROM_EMAIL, [user.email]))
    created = Notification.objects.bulk_create(notes)
    if mails:
        transaction.on_commit(lambda: _send(mails))
    return created


def _send(mails: list[tuple]) -> None:
    try:
        send_mass_mail(mails, fail_silently=False)
    except Exception:  # the notification is committed; a mail outage only logs
        logger.exception("Notification e-mails could not be sent")


def unread(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return unread(user).count()


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) read."""
    queryset = unread(user)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return queryset.update(read_at=timezone.now())
