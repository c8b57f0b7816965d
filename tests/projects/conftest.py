import pytest

from projects.deals import defaults
from projects.models import LossReason, Process, Stage
from tests.factories import make_customer


@pytest.fixture
def processes(db):
    """The default processes (a data migration installs them; transactional
    tests flush them, so they are installed again here)."""
    defaults.install()
    return {p.code: p for p in Process.objects.all()}


@pytest.fixture
def complex_process(processes):
    return processes["complex"]


@pytest.fixture
def stages(complex_process):
    return {s.code: s for s in Stage.objects.filter(process=complex_process)}


@pytest.fixture
def loss_reason(processes):
    return LossReason.objects.order_by("order").first()


@pytest.fixture
def rep_customer(org):
    return make_customer(org.rep, name="上海示例科技有限公司")


@pytest.fixture(autouse=True)
def _notifications_in_english(settings):
    """Notifications are written in the recipient's language, else the site's
    (Chinese); these tests read English."""
    settings.LANGUAGE_CODE = "en"
