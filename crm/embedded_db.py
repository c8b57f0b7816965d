"""Embedded PostgreSQL for machines without a database server.

When ``DATABASE_URL`` is unset the CRM starts PostgreSQL from the ``pgserver``
wheel, keeps its data under ``var/pgdata`` and talks to it over a Unix socket.
The server is shared by every process of the checkout (runserver and its
autoreloader, pytest, management commands) and stopped by pgserver when the
last of them exits. It is the same engine as in production, so full-text
search, ``select_for_update`` and JSONB behave the same everywhere.
"""

from __future__ import annotations

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
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')
    uri = urlsplit(server.get_uri(name))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": uri.username or "postgres",
        "HOST": parse_qs(uri.query)["host"][0],
    }
