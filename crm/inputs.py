"""What the CRM accepts as text from outside (forms, query parameters, import cells).

PostgreSQL text cannot hold NUL, and the other control characters only ever
come from damaged files or hostile requests: they are dropped at the edge
(``crm.middleware.ControlCharacterMiddleware`` for every query parameter and
form field, ``customers.imports.cell_text`` for import cells). Tab, line feed
and carriage return stay (text areas, tab-separated pastes).
"""

from __future__ import annotations

import re

#: C0 controls except tab, LF, CR; DEL; C1 controls.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """``text`` without control characters (tab and line breaks kept)."""
    if not text or text.isprintable():
        return text
    return CONTROL_CHARACTERS.sub("", text)


def has_controls(text: str) -> bool:
    return bool(text) and not text.isprintable() and bool(CONTROL_CHARACTERS.search(text))
