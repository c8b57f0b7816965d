"""Panels that later apps add to the customer's 360° page (CUS-2).

Customers never imports an app to its right. Opportunities, quotes, orders,
service requests, expenses … register a :class:`crm.panels.Panel` here from
their ``AppConfig.ready``; its ``context(request, customer)`` must read
through that app's scoped selectors (``visible_to(request.user)``) and
return a small dict that its template renders as one card::

    from crm.panels import Panel
    from customers.panels import customer_panels

    customer_panels.register(
        Panel(
            key="opportunities",
            template_name="opportunities/panels/customer_opportunities.html",
            context=customer_opportunities_panel,  # (request, customer) -> dict
            order=10,
        )
    )

The template receives the dict as ``panel`` (with ``panel.key``) and the
customer as ``customer``; it should render a ``crm-card`` section.
"""

from __future__ import annotations

from crm.panels import PanelRegistry

#: Cards of the customer page contributed by later apps, in ``order``.
customer_panels = PanelRegistry()
