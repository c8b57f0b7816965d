"""Shared fixtures: a small organisation with one user per scope.

HQ ─ office                         executive (all)
East ─ sales ─ team 1 ─ sub-team    branch_mgr (branch) at "sales"
             │         └ manager (department) and rep, rep_b at team 1; sub_rep below
             └ team 2               rep_team2
South ─ sales                       rep2
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

from crm.models import Department
from tests.factories import BranchFactory, DepartmentFactory, make_customer, make_employee


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Close connections after each request: the live server's threads must
    not keep the test database open when it is dropped."""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness only slows the suite down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploads (attachments, import files) go to a temporary directory, not var/media."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English; the Chinese UI has its own tests."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """A browser that asks for English (the default language is Chinese)."""
    return Client(headers={"accept-language": "en"})


@dataclass
class Org:
    hq: object
    east: object
    south: object
    office: Department
    east_sales: Department
    team1: Department
    sub_team: Department
    team2: Department
    south_sales: Department
    executive: object
    branch_mgr: object
    manager: object
    rep: object
    rep_b: object
    sub_rep: object
    rep_team2: object
    rep2: object
    secretary: object


@pytest.fixture
def org(db) -> Org:
    hq = BranchFactory(code="hq", name="总部", name_en="Headquarters", is_headquarters=True)
    east = BranchFactory(code="east", name="华东分公司", name_en="East China Branch")
    south = BranchFactory(code="south", name="华南分公司", name_en="South China Branch")
    office = DepartmentFactory(branch=hq, name="总经办")
    east_sales = DepartmentFactory(branch=east, name="华东销售部")
    team1 = DepartmentFactory(branch=east, parent=east_sales, name="华东销售一部")
    sub_team = DepartmentFactory(branch=east, parent=team1, name="华东销售一部一组")
    team2 = DepartmentFactory(branch=east, parent=east_sales, name="华东销售二部")
    south_sales = DepartmentFactory(branch=south, name="华南销售部")

    def user(department, *roles, username):
        return make_employee(department, *roles, username=username).user

    return Org(
        hq=hq,
        east=east,
        south=south,
        office=office,
        east_sales=east_sales,
        team1=team1,
        sub_team=sub_team,
        team2=team2,
        south_sales=south_sales,
        executive=user(office, "hq_executive", username="executive"),
        branch_mgr=user(east_sales, "branch_manager", username="branch_mgr"),
        manager=user(team1, "sales_manager", username="manager"),
        rep=user(team1, "sales_rep", username="rep"),
        rep_b=user(team1, "sales_rep", username="rep_b"),
        sub_rep=user(sub_team, "sales_rep", username="sub_rep"),
        rep_team2=user(team2, "sales_rep", username="rep_team2"),
        rep2=user(south_sales, "sales_rep", username="rep2"),
        secretary=user(east_sales, "business_secretary", username="secretary"),
    )


@pytest.fixture
def customers(org) -> dict[str, object]:
    """One customer owned by each sales user."""
    return {
        name: make_customer(getattr(org, name), name=f"{name}的客户有限公司")
        for name in ("rep", "rep_b", "sub_rep", "rep_team2", "rep2", "manager", "branch_mgr")
    }


#: Where browser tests leave their screenshots.
ARTIFACTS = Path(__file__).resolve().parents[1] / "var" / "test-artifacts"
CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium driven by Playwright (nothing is downloaded). Without it
    the test skips, unless CRM_REQUIRE_BROWSER is set (CI), when it fails."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CRM_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM} but CRM_REQUIRE_BROWSER is set")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # the live server's fixtures make here are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
