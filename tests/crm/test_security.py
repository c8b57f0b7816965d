"""NFR-4: login lockout, headers, upload limit and production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from crm.middleware import UPLOAD_TOO_LARGE

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
WRONG_CREDENTIALS = "Your username and password did not match."


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_wrong_credentials_give_a_clear_message(org, client):
    response = _login(client, "rep", "wrong")
    assert response.status_code == 200
    assert WRONG_CREDENTIALS in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_correct_credentials_log_in(org, client):
    response = _login(client, "rep", "correct-horse-battery-staple")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(org.rep.pk)


def test_repeated_failures_lock_the_account(org, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert _login(client, "rep", "wrong").status_code == 200
    locked = _login(client, "rep", "wrong")
    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()
    # Even the right password is refused while locked.
    assert _login(client, "rep", "correct-horse-battery-staple").status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user is not affected.
    assert _login(client, "rep_b", "correct-horse-battery-staple").status_code == 302


def test_security_headers(org, client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_oversized_uploads_are_refused_before_reading(org, client, settings):
    settings.MAX_UPLOAD_SIZE = 1024
    client.force_login(org.rep)
    response = client.post(reverse("customers:customer:add"), {"name": "x" * 2000})
    assert response.status_code == 413
    assert response.content.decode() == UPLOAD_TOO_LARGE % {"limit": 0}


def _manage(*args, **env_overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "PYTEST_CURRENT_TEST"
    }
    env.update(DJANGO_ENV_FILE=os.devnull, **env_overrides)
    # Settings start no embedded server when a DATABASE_URL is given.
    db = django_settings.DATABASES["default"]
    env.setdefault("DATABASE_URL", f"postgres://{db['USER']}@127.0.0.1:5432/{db['NAME']}")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="k8J2-pQ9x_Lm4vR7tY1wZ3aB6cD0eF5gH8iJ2kL4mN7oP9qR1sT3uV5wX7yZ9aB",
        DJANGO_ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
