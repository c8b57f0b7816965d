"""The start page, the language switch and the health endpoint."""

import json

import pytest
from django.urls import reverse

from crm.models import Employee
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_start_page_requires_login(client):
    response = client.get(reverse("today:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_start_page_shows_the_scoped_customer_count(org, client, django_assert_max_num_queries):
    make_customer(org.rep, name="张三的客户")
    make_customer(org.rep2, name="别人的客户")
    client.force_login(org.rep)

    with django_assert_max_num_queries(17):  # first request of the session
        response = client.get(reverse("today:index"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-panel="customers"' in page
    assert "张三的客户" in page
    assert "别人的客户" not in page


def test_language_switch_is_remembered_for_the_user(org, client):
    client.force_login(org.rep)
    response = client.post(
        reverse("set_language"),
        {"language": "zh-hans", "next": "/today/"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302 and response["Location"] == "/today/"
    assert Employee.objects.get(user=org.rep).language == "zh-hans"

    # A new session in an English browser still gets Chinese.
    client.logout()
    client.cookies.clear()
    client.force_login(org.rep)
    page = client.get(reverse("today:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="zh-hans"' in page


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(org, client):
    client.force_login(org.rep)
    response = client.post(
        reverse("set_language"), {"language": "xx", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/"
    assert Employee.objects.get(user=org.rep).language == ""


def test_english_browser_gets_english_without_a_preference(org, client):
    client.force_login(org.rep)
    page = client.get(reverse("today:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in page


def test_healthz_reports_database_and_broker(client, settings):
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["database"] == "ok"
    assert body["broker"] == ("ok" if settings.REDIS_URL else "eager")
    assert body["status"] == "ok"


def test_healthz_reports_an_unreachable_broker(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["broker"].startswith("error")


def test_password_change_page(org, client):
    client.force_login(org.rep)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery-staple",
            "new_password1": "123",
            "new_password2": "123",
        },
    )
    assert response.status_code == 200  # refused by the password validators
    org.rep.refresh_from_db()
    assert org.rep.check_password("correct-horse-battery-staple")

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery-staple",
            "new_password1": "Zh4ng-San-2026!",
            "new_password2": "Zh4ng-San-2026!",
        },
    )
    assert response.status_code == 302
    org.rep.refresh_from_db()
    assert org.rep.check_password("Zh4ng-San-2026!")
