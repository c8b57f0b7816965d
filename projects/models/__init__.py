"""The projects app's models, one module per topic: the catalogue
(processes, stages, loss reasons, products), deals and their work, quotes
and approval rules, sales orders and contracts. Everything is importable
from ``projects.models``."""

from projects.models.catalogue import *  # noqa: F403
from projects.models.deals import *  # noqa: F403
from projects.models.orders import *  # noqa: F403
from projects.models.quotes import *  # noqa: F403
