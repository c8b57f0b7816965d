"""Cards of the start page ("Today") contributed by customers."""

from crm.panels import Panel, today_panels
from customers.selectors import today_customers_panel


def register() -> None:
    today_panels.register(
        Panel(
            key="customers",
            template_name="customers/panels/today_customers.html",
            context=today_customers_panel,
            order=50,
        )
    )
