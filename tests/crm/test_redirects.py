"""``next`` only ever leads back into this site."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from crm.redirects import safe_next


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/customers/customer/?page=2", "/customers/customer/?page=2"),
        ("http://testserver/today/", "http://testserver/today/"),
        ("https://evil.example.com/", "/fallback/"),
        ("//evil.example.com/path", "/fallback/"),
        ("javascript:alert(1)", "/fallback/"),
        ("\\\\evil.example.com", "/fallback/"),
        ("", "/fallback/"),
    ],
)
def test_next_stays_on_this_site(candidate, expected):
    posted = RequestFactory().post("/x/", {"next": candidate})
    assert safe_next(posted, "/fallback/") == expected
    queried = RequestFactory().get("/x/", {"next": candidate})
    assert safe_next(queried, "/fallback/") == expected


def test_the_form_field_wins_over_the_query_string():
    request = RequestFactory().post("/x/?next=/from-query/", {"next": "/from-form/"})
    assert safe_next(request, "/fallback/") == "/from-form/"
