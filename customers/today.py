"""Cards of the start page ("Today") contributed by customers."""

from crm.panels import Panel, today_panels
from customers.selectors import today_customers_panel, today_next_steps_panel


def register() -> None:
    today_panels.register(
        Panel(
            key="customers",
            template_name="customers/panels/today_customers.html",
            context=today_customers_panel,
            order=50,
        )
    )
    today_panels.register(
        Panel(
            key="next_steps",
            template_name="customers/panels/today_next_steps.html",
            context=today_next_steps_panel,
            order=20,
        )
    )
