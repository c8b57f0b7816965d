"""Panels that later apps add to the deal page (OPP-5).

``projects`` never imports an app to its right. Competitors, expenses,
attachments, service requests … register a :class:`crm.panels.Panel` here
from their ``AppConfig.ready``; its ``context(request, deal)`` must read
through that app's scoped selectors (``visible_to(request.user)``), or better
return only a Turbo frame URL so that the deal page itself reads nothing::

    from crm.panels import Panel
    from projects.deals.panels import deal_panels

    deal_panels.register(
        Panel(
            key="competition",
            template_name="competitors/panels/deal_competition.html",
            context=deal_competition_panel,  # (request, deal) -> dict
            order=40,
        )
    )

The template receives the dict as ``panel`` (with ``panel.key``) and the
deal as ``deal``; it should render one ``crm-card`` section. Panels appear
below the deal's documents, in ``order``, and in the summary's jump links.
"""

from __future__ import annotations

from crm.panels import PanelRegistry

#: Sections of the deal page contributed by later apps, in ``order``.
deal_panels = PanelRegistry()
