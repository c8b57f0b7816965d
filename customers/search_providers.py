"""One-box search providers of customers and contacts (CUS-9)."""


def register() -> None:
    """Register the customer and contact providers with the kernel's search."""
