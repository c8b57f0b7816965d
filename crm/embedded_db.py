"""Embedded PostgreSQL for machines without a database server.

When ``DATABASE_URL`` is unset the CRM starts PostgreSQL from the ``pgserver``
wheel, keeps its data under ``var/pgdata`` and talks to it over a Unix socket.
The server is shared by every process of the checkout (runserver and its
autoreloader, pytest, management commands) and stopped by pgserver when the
last of them exits. It is the same engine as in production, so full-text
search, ``select_for_update`` and JSONB behave the same everywhere.
"""

from __future__ import annotations

import signal
import sys
import threading
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def embedded_database(data_dir: Path, *, name: str) -> dict:
    """Start (or join) the embedded server; return Django settings for ``name``."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI).
        warnings.simplefilter("ignore")
        import pgserver

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(data_dir)
    _forget_dead_clients(server)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')
    _exit_cleanly_on_sigterm()
    uri = urlsplit(server.get_uri(name))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": uri.username or "postgres",
        "HOST": parse_qs(uri.query)["host"][0],
    }


def _exit_cleanly_on_sigterm() -> None:
    """Let SIGTERM end the process normally, so pgserver's exit hook stops the
    embedded server (a plain SIGTERM would skip it and leave PostgreSQL running).
    Only where nothing else (gunicorn, Celery) handles the signal already."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _forget_dead_clients(server) -> None:
    """pgserver stops the server when its last client process exits, keeping
    the clients' pids in a file; a client that was killed never leaves that
    list, and the server would then outlive every later run. Keep live pids only."""
    import psutil

    with server._lock:
        clients = server.global_process_id_list
        clients.put([pid for pid in clients.get() if psutil.pid_exists(pid)])
