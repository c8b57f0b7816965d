"""The projects app's models, one module per topic sub-package: the deals
(processes, stages, loss reasons, opportunities and their work), the
catalogue (products), quotes, sales orders and contracts. Everything is
importable from ``projects.models``."""

from projects.catalogue.models import *  # noqa: F403
from projects.contracts.models import *  # noqa: F403
from projects.deals.models import *  # noqa: F403
from projects.orders.models import *  # noqa: F403
from projects.quotes.models import *  # noqa: F403
